// What every page's script shares, loaded before it (classic scripts: one global, `pageKit`).
const pageKit = (function () {
  'use strict';
  var usd = new Intl.NumberFormat('en-US', {
    style: 'currency',
    currency: 'USD',
    maximumFractionDigits: 2,
  });

  function $(id) {
    return document.getElementById(id);
  }
  function text(id, value) {
    $(id).textContent = value;
  }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) {
      node.append(c);
    });
    return node;
  }
  /** An ISO time as `2025-01-31 14:05 UTC` ('–' when there is none). */
  function when(iso) {
    return iso ? new Date(iso).toISOString().slice(0, 16).replace('T', ' ') + ' UTC' : '–';
  }

  return Object.freeze({ $: $, text: text, el: el, usd: usd, when: when });
})();
