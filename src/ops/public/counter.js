// @ts-check
/* global pageKit */
// The counter page's only script. It calls the public API and nothing else: the field rules
// (grades, ranges) come from the API's own OpenAPI document, the price from POST /v1/prices,
// the neighbours from GET /v1/similar-diamonds, and every refusal is the API's message.
(function () {
  'use strict';
  const FEATURES = ['carat', 'cut', 'color', 'clarity', 'depth', 'table', 'x', 'y', 'z'];
  const UNITS = { carat: 'ct', depth: '%', table: '%', x: 'mm', y: 'mm', z: 'mm' };
  const SIMILAR_COUNT = 10;
  const usd = pageKit.usd;
  const dollars = new Intl.NumberFormat('en-US', {
    style: 'currency',
    currency: 'USD',
    maximumFractionDigits: 0,
  });
  /**
   * An OpenAPI schema object, as much of it as the form reads.
   * @typedef {{ $ref?: string, allOf?: Schema[], properties?: Record<string, Schema>,
   *   required?: string[], type?: string, enum?: string[], description?: string, example?: unknown,
   *   minimum?: number, maximum?: number, exclusiveMinimum?: number | boolean,
   *   exclusiveMaximum?: number | boolean }} Schema
   * @typedef {{ components: { schemas: Record<string, Schema> },
   *   paths: Record<string, any> }} OpenApiDocument
   * What the form knows of a field: the API's rule for it.
   * @typedef {{ type?: string, required: boolean, description?: string, example?: unknown,
   *   enum?: string[], min?: number, minExclusive?: boolean, max?: number,
   *   maxExclusive?: boolean }} FieldRule
   * An error answer as the form reads it (the document leaves `details` untyped).
   * @typedef {{ message?: string, details?: { field: string, rules?: Record<string, string> }[] }} ErrorBody
   * @typedef {ApiSchemas['PriceResponseDto']} PriceAnswer
   * @typedef {ApiSchemas['SimilarDiamondsResponseDto']} SimilarAnswer
   * The diamond as asked: the grades as text, the rest as numbers.
   * @typedef {Record<string, any>} AskedDiamond
   */
  /** @type {Record<string, FieldRule>} */
  let rules = {};

  const $ = pageKit.$;
  const el = pageKit.el;
  /**
   * A field of the form (an input, or a select for the grades: both have what is used here).
   * @param {string} f
   */
  const field = (f) => /** @type {HTMLInputElement} */ ($(f));
  const form = $('diamond-form');
  const button = () => /** @type {HTMLButtonElement} */ ($('price-button'));
  /** @param {string} state */
  const setState = (state) => (document.body.dataset.state = state);

  // ---- rules from the OpenAPI document -------------------------------------------------------

  /**
   * @param {OpenApiDocument} doc
   * @param {Schema | undefined} schema
   * @returns {Schema}
   */
  function resolve(doc, schema) {
    if (schema && schema.$ref) {
      const name = schema.$ref.split('/').pop() || '';
      return resolve(doc, doc.components.schemas[name]);
    }
    return schema || {};
  }

  /**
   * Properties and required names of an object schema, following $ref and allOf.
   * @param {OpenApiDocument} doc
   * @param {Schema} schema
   * @returns {{ properties: Record<string, Schema>, required: string[] }}
   */
  function flatten(doc, schema) {
    const s = resolve(doc, schema);
    /** @type {Record<string, Schema>} */
    let properties = {};
    /** @type {string[]} */
    let required = [];
    (s.allOf || []).forEach((part) => {
      const f = flatten(doc, part);
      properties = Object.assign(properties, f.properties);
      required = required.concat(f.required);
    });
    Object.entries(s.properties || {}).forEach(([k, v]) => (properties[k] = resolve(doc, v)));
    return { properties, required: required.concat(s.required || []) };
  }

  /**
   * @param {Schema} p
   * @param {boolean} required
   * @returns {FieldRule}
   */
  function ruleOf(p, required) {
    /** @type {FieldRule} */
    const r = { type: p.type, required, description: p.description, example: p.example };
    if (p.enum) r.enum = p.enum;
    // OpenAPI 3.0 (boolean exclusive flags) and 3.1 (numeric exclusive bounds) alike.
    if (typeof p.exclusiveMinimum === 'number')
      Object.assign(r, { min: p.exclusiveMinimum, minExclusive: true });
    else if (typeof p.minimum === 'number')
      Object.assign(r, { min: p.minimum, minExclusive: p.exclusiveMinimum === true });
    if (typeof p.exclusiveMaximum === 'number')
      Object.assign(r, { max: p.exclusiveMaximum, maxExclusive: true });
    else if (typeof p.maximum === 'number')
      Object.assign(r, { max: p.maximum, maxExclusive: p.exclusiveMaximum === true });
    return r;
  }

  /**
   * @param {FieldRule} r
   * @param {string | undefined} unit
   */
  function rangeText(r, unit) {
    const parts = [];
    if (r.min !== undefined) parts.push((r.minExclusive ? '> ' : '≥ ') + r.min);
    if (r.max !== undefined) parts.push((r.maxExclusive ? '< ' : '≤ ') + r.max);
    return parts.join(' and ') + (unit ? ' ' + unit : '');
  }

  async function loadRules() {
    const res = await fetch('/docs-json', { headers: { Accept: 'application/json' } });
    if (!res.ok) throw new Error('the API description (/docs-json) answered ' + res.status);
    /** @type {OpenApiDocument} */
    const doc = await res.json();
    const body = doc.paths['/v1/prices'].post.requestBody.content['application/json'].schema;
    const { properties, required } = flatten(doc, body);
    FEATURES.forEach((f) => {
      if (!properties[f]) throw new Error('the API no longer describes the field ' + f);
      rules[f] = ruleOf(properties[f], required.includes(f));
    });
  }

  function applyRules() {
    FEATURES.forEach((f) => {
      const r = rules[f];
      const input = field(f);
      input.required = r.required;
      if (r.enum) {
        input.replaceChildren(el('option', { value: '' }, ['Choose…']));
        r.enum.forEach((v) => input.append(el('option', { value: v }, [v])));
        $(f + '-hint').textContent = r.description || '';
      } else {
        if (r.min !== undefined) input.min = String(r.min);
        if (r.max !== undefined) input.max = String(r.max);
        if (r.example !== undefined) input.placeholder = 'e.g. ' + r.example;
        $(f + '-hint').textContent = rangeText(r, UNITS[/** @type {keyof UNITS} */ (f)]);
      }
    });
  }

  // ---- the form's own checks and the API's messages, beside each field ----------------------

  /**
   * What the form refuses before asking the API: a missing required value or one out of range.
   * @param {string} f
   */
  function check(f) {
    const r = rules[f];
    const raw = field(f).value.trim();
    if (raw === '') return r.required ? 'Required' : null;
    if (r.enum) return r.enum.includes(raw) ? null : 'Choose one of ' + r.enum.join(', ');
    const v = Number(raw);
    if (!Number.isFinite(v) || field(f).validity.badInput) return 'Enter a number';
    const low = r.min !== undefined && (r.minExclusive ? v <= r.min : v < r.min);
    const high = r.max !== undefined && (r.maxExclusive ? v >= r.max : v > r.max);
    return low || high ? 'Allowed: ' + rangeText(r, UNITS[/** @type {keyof UNITS} */ (f)]) : null;
  }

  /**
   * @param {string} f
   * @param {string} message
   * @param {'form' | 'api'} source
   */
  function showFieldError(f, message, source) {
    const box = $(f + '-error');
    box.textContent = message;
    box.dataset.source = source;
    box.hidden = false;
    $(f).closest('.field')?.classList.add('invalid');
    $(f).setAttribute('aria-invalid', 'true');
  }

  /** @param {string} f */
  function clearFieldError(f) {
    const box = $(f + '-error');
    box.textContent = '';
    box.hidden = true;
    delete box.dataset.source;
    $(f).closest('.field')?.classList.remove('invalid');
    $(f).removeAttribute('aria-invalid');
  }

  /**
   * @param {string} id
   * @param {string} message
   */
  function showMessage(id, message) {
    $(id).textContent = message;
    $(id).hidden = !message;
  }

  /**
   * The API's error body beside the fields it names (`details[].field`, every rule's message);
   * what names no field of the form goes to `fallbackId`.
   * @param {ErrorBody} body
   * @param {string} fallbackId
   * @param {Set<string>} shown
   */
  function showApiError(body, fallbackId, shown) {
    const details = body && Array.isArray(body.details) ? body.details : [];
    const onFields = details.filter((d) => d && FEATURES.includes(d.field));
    onFields.forEach((d) => {
      const message = Object.values(d.rules || {}).join(' · ') || body.message || '';
      if (shown.has(d.field + message)) return;
      shown.add(d.field + message);
      const box = $(d.field + '-error');
      showFieldError(d.field, box.hidden ? message : box.textContent + ' · ' + message, 'api');
    });
    if (onFields.length === 0)
      showMessage(fallbackId, (body && body.message) || 'The service did not answer');
  }

  // ---- the answers -------------------------------------------------------------------------

  /**
   * @param {string} url
   * @param {RequestInit} init
   * @returns {Promise<{ ok: boolean, status: number, body: any }>}
   */
  async function call(url, init) {
    try {
      const res = await fetch(url, init);
      const body = await res.json().catch(() => ({ message: 'HTTP ' + res.status }));
      return { ok: res.ok, status: res.status, body };
    } catch (err) {
      return {
        ok: false,
        status: 0,
        body: { message: 'The service cannot be reached: ' + /** @type {Error} */ (err).message },
      };
    }
  }

  /** @param {PriceAnswer} answer */
  function renderPrice(answer) {
    $('price').textContent = usd.format(answer.price);
    $('model').textContent = answer.model.family + ' v' + answer.model.version;
    $('request-id').textContent = answer.requestId || '–';
    const range = answer.range;
    const hasRange = range && typeof range.low === 'number' && typeof range.high === 'number';
    $('range-box').hidden = !hasRange;
    if (hasRange) {
      const level =
        typeof range.level === 'number' ? Math.round(range.level * 100) + ' % range' : 'Range';
      $('range-label').textContent = level;
      $('range').textContent = dollars.format(range.low) + ' – ' + dollars.format(range.high);
    }
    $('caution').textContent = cautionText(answer);
    $('caution').hidden = !$('caution').textContent;
    renderWaterfall(answer);
  }

  /** How a seller reads each line's name. */
  const LINE_NAMES = {
    carat: (/** @type {unknown} */ v) => 'carat ' + v + ' ct',
    cut: (/** @type {unknown} */ v) => 'cut ' + v,
    color: (/** @type {unknown} */ v) => 'color ' + v,
    clarity: (/** @type {unknown} */ v) => 'clarity ' + v,
    depth: (/** @type {unknown} */ v) => 'depth ' + v + ' %',
    table: (/** @type {unknown} */ v) => 'table ' + v + ' %',
    x: (/** @type {unknown} */ v) => 'length x ' + v + ' mm',
    y: (/** @type {unknown} */ v) => 'width y ' + v + ' mm',
    z: (/** @type {unknown} */ v) => 'depth z ' + v + ' mm',
  };
  /**
   * A line's words: `clarity SI2: -610 USD` (whole dollars; the exact cents are the line's
   * data-effect).
   * @param {string} feature
   * @param {unknown} value
   * @param {number} effect
   */
  function lineText(feature, value, effect) {
    const namer = /** @type {Record<string, (v: unknown) => string>} */ (LINE_NAMES)[feature];
    const name =
      feature === 'clamp'
        ? 'held within the training prices'
        : value === null || value === undefined
          ? feature + ' (not given, typical assumed)'
          : namer
            ? namer(value)
            : feature + ' ' + value;
    const whole = Math.round(effect);
    return name + ': ' + (whole > 0 ? '+' : whole < 0 ? '-' : '') + Math.abs(whole) + ' USD';
  }

  /**
   * The explanation as a waterfall: the baseline, one bar a line from the running total, the
   * price. Lines of measurements not given (no effect of their own) are left out.
   * @param {PriceAnswer} answer
   */
  function renderWaterfall(answer) {
    const explanation = answer.explanation;
    const list = $('waterfall');
    list.replaceChildren();
    $('why').hidden = !explanation;
    if (!explanation) return;
    const lines = explanation.contributions.filter((c) => c.value !== null || c.effect !== 0);
    let total = explanation.baseline;
    const steps = lines.map((c) => {
      const from = total;
      total += c.effect;
      return { c, from, to: total };
    });
    const ends = [explanation.baseline, answer.price, ...steps.map((s) => s.to)];
    const low = Math.min(0, ...ends);
    const span = Math.max(...ends) - low || 1;
    /**
     * @param {number} from
     * @param {number} to
     * @param {string} kind
     */
    const bar = (from, to, kind) => {
      // Set through the CSSOM: the page's CSP refuses inline style attributes.
      const node = el('span', { class: 'bar ' + kind });
      node.style.marginLeft = ((Math.min(from, to) - low) / span) * 100 + '%';
      node.style.width = Math.max((Math.abs(to - from) / span) * 100, 0.3) + '%';
      return node;
    };
    list.append(
      el(
        'li',
        { class: 'total', 'data-feature': 'baseline', 'data-effect': String(explanation.baseline) },
        [
          el('span', { class: 'line-text' }, [
            'A typical diamond: ' + Math.round(explanation.baseline) + ' USD',
          ]),
          el('span', { class: 'track' }, [bar(low, explanation.baseline, 'base')]),
        ],
      ),
    );
    steps.forEach(({ c, from, to }) =>
      list.append(
        el('li', { 'data-feature': c.feature, 'data-effect': String(c.effect) }, [
          el('span', { class: 'line-text' }, [lineText(c.feature, c.value, c.effect)]),
          el('span', { class: 'track' }, [bar(from, to, c.effect >= 0 ? 'up' : 'down')]),
        ]),
      ),
    );
    list.append(
      el('li', { class: 'total', 'data-feature': 'price', 'data-effect': String(answer.price) }, [
        el('span', { class: 'line-text' }, ['This diamond: ' + usd.format(answer.price)]),
        el('span', { class: 'track' }, [bar(low, answer.price, 'base')]),
      ]),
    );
  }

  /**
   * The API's warnings in words: fields outside what the model was trained on, a held price.
   * @param {PriceAnswer} answer
   */
  function cautionText(answer) {
    const outside = Array.isArray(answer.outsideTrainingRange) ? answer.outsideTrainingRange : [];
    const parts = outside.map(
      (o) =>
        o.field +
        ' ' +
        o.value +
        ' is outside the trained range ' +
        o.trainedMin +
        '–' +
        o.trainedMax,
    );
    if (answer.priceClamped)
      parts.push("the model's own answer was held within its training prices");
    return parts.length ? 'Treat with care: ' + parts.join('; ') + '.' : '';
  }

  /** @param {{ x?: number | null, y?: number | null, z?: number | null }} d */
  function dims(d) {
    const values = [d.x, d.y, d.z];
    if (values.every((v) => v === undefined || v === null)) return '–';
    return values.map((v) => (v === undefined || v === null ? '–' : v.toFixed(2))).join(' × ');
  }
  /**
   * @param {number | null | undefined} v
   * @param {number} digits
   */
  const num = (v, digits) => (v === undefined || v === null ? '–' : v.toFixed(digits));

  /**
   * The neighbours by carat, with the asked diamond's row placed among them and marked.
   * @param {SimilarAnswer} answer
   * @param {AskedDiamond} asked
   * @param {PriceAnswer | null} priced
   */
  function renderSimilar(answer, asked, priced) {
    const tbody = /** @type {HTMLTableSectionElement} */ (
      $('similar-table').querySelector('tbody')
    );
    tbody.replaceChildren();
    const items = answer.items.slice().sort((a, b) => a.carat - b.carat || a.id - b.id);
    $('similar-empty').hidden = items.length > 0;
    $('similar-table').hidden = items.length === 0;
    $('similar-caption').textContent =
      items.length === 0
        ? asked.cut + ' · ' + asked.color + ' · ' + asked.clarity
        : 'The ' +
          items.length +
          ' closest in carat among ' +
          asked.cut +
          ' · ' +
          asked.color +
          ' · ' +
          asked.clarity +
          ', by carat; the highlighted row is this diamond' +
          (priced ? ' at its fair price.' : '.');
    const askedRow = el('tr', { class: 'asked', 'data-carat': String(asked.carat) }, [
      el('td', {}, [
        num(asked.carat, 2) + ' ',
        el('span', { class: 'asked-label' }, ['◀ this diamond']),
      ]),
      el('td', {}, [num(asked.depth, 1)]),
      el('td', {}, [num(asked.table, 1)]),
      el('td', { class: 'dims' }, [dims(asked)]),
      el('td', { class: 'num' }, [priced ? usd.format(priced.price) : '–']),
    ]);
    let placed = false;
    items.forEach((d) => {
      if (!placed && d.carat > asked.carat) {
        tbody.append(askedRow);
        placed = true;
      }
      tbody.append(
        el('tr', { class: d.carat === asked.carat ? 'same-carat' : '', 'data-id': String(d.id) }, [
          el('td', {}, [num(d.carat, 2)]),
          el('td', {}, [num(d.depth, 1)]),
          el('td', {}, [num(d.table, 1)]),
          el('td', { class: 'dims' }, [dims(d)]),
          el('td', { class: 'num' }, [usd.format(d.price)]),
        ]),
      );
    });
    if (!placed && items.length > 0) tbody.append(askedRow);
  }

  /** @param {SubmitEvent} event */
  async function submit(event) {
    event.preventDefault();
    FEATURES.forEach(clearFieldError);
    ['form-error', 'price-error'].forEach((id) => showMessage(id, ''));
    /** @type {AskedDiamond} */
    const asked = {};
    /** @type {string | null} */
    let firstBad = null;
    FEATURES.forEach((f) => {
      const problem = check(f);
      if (problem) {
        showFieldError(f, problem, 'form');
        firstBad = firstBad || f;
        return;
      }
      const raw = field(f).value.trim();
      if (raw !== '') asked[f] = rules[f].enum ? raw : Number(raw);
    });
    if (firstBad) {
      $(firstBad).focus();
      setState('invalid');
      return;
    }
    setState('busy');
    button().disabled = true;
    const query = new URLSearchParams({
      cut: asked.cut,
      color: asked.color,
      clarity: asked.clarity,
      carat: String(asked.carat),
      n: String(SIMILAR_COUNT),
    });
    const [priced, similar] = await Promise.all([
      call('/v1/prices', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ ...asked, explain: true }),
      }),
      call('/v1/similar-diamonds?' + query, { headers: { Accept: 'application/json' } }),
    ]);
    /** @type {Set<string>} */
    const shown = new Set();
    $('priced').hidden = !priced.ok;
    if (priced.ok) renderPrice(priced.body);
    else showApiError(priced.body, 'price-error', shown);
    // A refusal that names a field is shown beside it; the result card only for the rest (503…).
    $('result').hidden = !priced.ok && $('price-error').hidden;
    if (similar.ok) {
      $('similar').hidden = false;
      renderSimilar(similar.body, asked, priced.ok ? priced.body : null);
    } else {
      $('similar').hidden = true;
      showApiError(similar.body, 'form-error', shown);
    }
    button().disabled = false;
    setState(priced.ok && similar.ok ? 'done' : 'refused');
  }

  async function start() {
    try {
      await loadRules();
      applyRules();
    } catch (err) {
      showMessage('form-error', 'The form cannot start: ' + /** @type {Error} */ (err).message);
      setState('broken');
      return;
    }
    FEATURES.forEach((f) => {
      const recheck = () => {
        const problem = field(f).value.trim() === '' ? null : check(f);
        if (problem) showFieldError(f, problem, 'form');
        else clearFieldError(f);
      };
      $(f).addEventListener('change', recheck);
      $(f).addEventListener('input', recheck);
    });
    form.addEventListener('submit', submit);
    button().disabled = false;
    setState('ready');
  }

  start();
})();
