// @ts-check
/* global pageKit */
// The version page: /dashboard/version?family=…&version=… draws the registry's trust JSON
// (/v1/models/:family/versions/:version/trust) with Chart.js served by the app.
(function () {
  'use strict';
  var $ = pageKit.$;
  var text = pageKit.text;
  var usd = pageKit.usd;
  var when = pageKit.when;
  var Chart = pageKit.chartJs();
  var canvasOf = pageKit.canvas;
  /** @typedef {ApiSchemas['VersionTrustDto']} Trust */
  /**
   * One feature's importance (the OpenAPI document still calls them strings).
   * @typedef {{ feature: string, importance: number }} FeatureImportance
   */
  /** @param {number} x */
  function percent(x) {
    return (x * 100).toFixed(1) + ' %';
  }
  var base = /** @type {const} */ ({ maintainAspectRatio: false, animation: false });

  /** @param {Trust} trust */
  function drawSearch(trust) {
    var history = trust.searchHistory;
    if (history.length === 0) {
      text('search-caption', 'This family is not searched: it has no hyperparameters to tune.');
      $('search-history').hidden = true;
      return;
    }
    var pruned = history.filter(function (p) {
      return p.pruned;
    }).length;
    text(
      'search-caption',
      history.length +
        ' trials (' +
        pruned +
        ' pruned, crossed): validation MAE of each in order, and the best so far.',
    );
    new Chart(canvasOf('search-history'), {
      type: 'line',
      data: {
        labels: history.map(function (p) {
          return p.number;
        }),
        datasets: [
          {
            label: 'trial validation MAE (USD)',
            showLine: false,
            borderColor: '#2563eb',
            backgroundColor: '#2563eb',
            data: history.map(function (p) {
              return p.mae;
            }),
            pointStyle: history.map(function (p) {
              return p.pruned ? 'crossRot' : 'circle';
            }),
            pointRadius: history.map(function (p) {
              return p.pruned ? 6 : 3;
            }),
          },
          {
            label: 'best so far',
            stepped: true,
            borderColor: '#16a34a',
            backgroundColor: '#16a34a',
            pointRadius: 0,
            data: history.map(function (p) {
              return p.bestSoFar;
            }),
          },
        ],
      },
      options: {
        ...base,
        scales: {
          x: { title: { display: true, text: 'trial' } },
          y: { title: { display: true, text: 'validation MAE (USD)' } },
        },
      },
    });
  }

  /** @param {Trust} trust */
  function drawBands(trust) {
    var bands = trust.errorByPriceBand || [];
    new Chart(canvasOf('error-by-band'), {
      type: 'bar',
      data: {
        labels: bands.map(function (b) {
          return b.band + ' (' + b.rows + ')';
        }),
        datasets: [
          {
            label: 'MAE (USD)',
            yAxisID: 'usd',
            backgroundColor: '#2563eb',
            data: bands.map(function (b) {
              return b.mae;
            }),
          },
          {
            label: 'relative error',
            yAxisID: 'rel',
            backgroundColor: '#ea580c',
            data: bands.map(function (b) {
              return b.mape;
            }),
          },
        ],
      },
      options: {
        ...base,
        scales: {
          usd: { position: 'left', title: { display: true, text: 'MAE (USD)' } },
          rel: {
            position: 'right',
            title: { display: true, text: 'relative error' },
            grid: { drawOnChartArea: false },
          },
        },
      },
    });
  }

  /** @param {Trust} trust */
  function drawImportance(trust) {
    var fi = trust.featureImportance;
    if (!fi) {
      text('importance-caption', 'No feature importance recorded for this version.');
      return;
    }
    text(
      'importance-caption',
      fi.method === 'permutation'
        ? 'Holdout MAE increase (USD) when the feature is shuffled (the XGBoost WebAssembly build exposes no gain).'
        : '|coefficient| × the column’s standard deviation (log-price units): standardised coefficients.',
    );
    var features = /** @type {FeatureImportance[]} */ (/** @type {unknown} */ (fi.features));
    new Chart(canvasOf('feature-importance'), {
      type: 'bar',
      data: {
        labels: features.map(function (f) {
          return f.feature;
        }),
        datasets: [
          {
            label: fi.method,
            backgroundColor: '#9333ea',
            data: features.map(function (f) {
              return f.importance;
            }),
          },
        ],
      },
      options: { ...base, indexAxis: 'y' },
    });
  }

  /** @param {Trust} trust */
  function drawCalibration(trust) {
    var checks = trust.rangeCalibration || [];
    new Chart(canvasOf('range-calibration'), {
      type: 'line',
      data: {
        datasets: [
          {
            label: 'coverage',
            borderColor: '#2563eb',
            backgroundColor: '#2563eb',
            data: checks.map(function (c) {
              return { x: c.level, y: c.coverage };
            }),
          },
          {
            label: 'level asked',
            borderColor: '#dc2626',
            borderDash: [6, 4],
            pointRadius: 0,
            data: [
              { x: 0.5, y: 0.5 },
              { x: 1, y: 1 },
            ],
          },
        ],
      },
      options: {
        ...base,
        scales: {
          x: { type: 'linear', min: 0.5, max: 1, title: { display: true, text: 'level asked' } },
          y: { min: 0.4, max: 1, title: { display: true, text: 'coverage' } },
        },
      },
    });
  }

  /** @param {Error} err */
  function fail(err) {
    var box = $('error');
    box.hidden = false;
    box.textContent = 'Could not load this version: ' + err.message;
    document.body.dataset.state = 'error';
  }

  var query = new URLSearchParams(location.search);
  var family = query.get('family') || '';
  var version = query.get('version') || '';
  var path =
    '/v1/models/' + encodeURIComponent(family) + '/versions/' + encodeURIComponent(version);
  /** @type {HTMLAnchorElement} */ ($('json-link')).href = path + '/trust';
  /** @type {HTMLAnchorElement} */ ($('detail-link')).href = path;
  /** @param {string} url */
  function get(url) {
    return fetch(url, { headers: { accept: 'application/json' } }).then(function (res) {
      if (!res.ok) throw new Error('HTTP ' + res.status + ' for ' + url);
      return res.json();
    });
  }
  Promise.all([get(path), get(path + '/trust')])
    .then(function (both) {
      /** @type {ApiSchemas['VersionDetailDto']} */
      var detail = both[0];
      /** @type {Trust} */
      var trust = both[1];
      document.title = 'Diamond pricing — ' + detail.family + ' v' + detail.version;
      text('title', detail.family + ' v' + detail.version);
      text('subtitle', detail.status + ' · trained ' + when(detail.createdAt));
      text('mae', usd.format(detail.metrics.mae));
      text('r2', detail.metrics.r2.toFixed(4));
      text('trials', String(trust.searchHistory.length));
      var at90 = (trust.rangeCalibration || []).find(function (c) {
        return c.level === 0.9;
      });
      text('coverage90', at90 ? percent(at90.coverage) : 'no range');
      if (trust.notes.length) {
        $('notes').hidden = false;
        text('notes', trust.notes.join(' · '));
      }
      drawSearch(trust);
      drawBands(trust);
      drawImportance(trust);
      drawCalibration(trust);
      document.body.dataset.state = 'ready';
    })
    .catch(fail);
})();
