import { DataSource } from 'typeorm';
import { loadConfig } from '../config/app-config';
import { databaseOptions } from './database-options';

/**
 * The data source of `npm run typeorm -- <command>` (migration:show, migration:run,
 * migration:revert): the app's engine and migrations, configured from the same environment.
 */
export default new DataSource(databaseOptions(loadConfig()));
