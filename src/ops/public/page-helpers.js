// @ts-check
// What every page's script shares, loaded before it (classic scripts: one global, `pageKit`).

/**
 * The API's shapes, from the typed client generated from the OpenAPI document
 * (clients/typescript): a page that reads a field the API does not describe fails the type check.
 * @typedef {import('../../../clients/typescript/schema').components['schemas']} ApiSchemas
 */

const pageKit = (function () {
  'use strict';
  var usd = new Intl.NumberFormat('en-US', {
    style: 'currency',
    currency: 'USD',
    maximumFractionDigits: 2,
  });

  /**
   * The page's element of that id (a missing one is a bug of the page: it throws).
   * @param {string} id
   * @returns {HTMLElement}
   */
  function $(id) {
    var node = document.getElementById(id);
    if (!node) throw new Error('No element #' + id + ' on the page');
    return node;
  }
  /**
   * The page's canvas of that id.
   * @param {string} id
   * @returns {HTMLCanvasElement}
   */
  function canvas(id) {
    var node = $(id);
    if (!(node instanceof HTMLCanvasElement)) throw new Error('#' + id + ' is not a canvas');
    return node;
  }
  /**
   * @param {string} id
   * @param {string} value
   */
  function text(id, value) {
    $(id).textContent = value;
  }
  /**
   * A new element with its attributes and children.
   * @param {string} tag
   * @param {Record<string, string>} [attrs]
   * @param {(Node | string)[]} [children]
   * @returns {HTMLElement}
   */
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    var given = attrs || {};
    Object.keys(given).forEach(function (k) {
      node.setAttribute(k, given[k]);
    });
    (children || []).forEach(function (c) {
      node.append(c);
    });
    return node;
  }
  /**
   * An ISO time as `2025-01-31 14:05 UTC` ('–' when there is none).
   * @param {string | null | undefined} iso
   */
  function when(iso) {
    return iso ? new Date(iso).toISOString().slice(0, 16).replace('T', ' ') + ' UTC' : '–';
  }
  /**
   * The Chart.js constructor its script (chart.umd.js, loaded before the page's) left on window.
   * @returns {typeof import('chart.js').Chart}
   */
  function chartJs() {
    return /** @type {any} */ (window).Chart;
  }

  return Object.freeze({
    $: $,
    canvas: canvas,
    text: text,
    el: el,
    usd: usd,
    when: when,
    chartJs: chartJs,
  });
})();
