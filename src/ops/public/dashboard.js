// @ts-check
/* global pageKit */
// The dashboard's only script: fetches /dashboard/data and draws it with Chart.js (served by the app).
(function () {
  'use strict';
  var PALETTE = [
    '#2563eb',
    '#16a34a',
    '#dc2626',
    '#9333ea',
    '#ea580c',
    '#0891b2',
    '#4b5563',
    '#ca8a04',
  ];
  /** @type {Record<string, number>} Hue of each status class: 2xx green, 3xx cyan, 4xx orange, 5xx red. */
  var STATUS_HUES = { 2: 142, 3: 190, 4: 28, 5: 0 };
  /** Pixels per route of the audit chart: each route keeps a row tall enough for its label. */
  var AUDIT_ROW_PX = 28;
  var integer = new Intl.NumberFormat('en-US');

  var $ = pageKit.$;
  var text = pageKit.text;
  var el = pageKit.el;
  var usd = pageKit.usd;
  var when = pageKit.when;
  var Chart = pageKit.chartJs();
  var canvasOf = pageKit.canvas;
  /** @typedef {ApiSchemas['DashboardDataDto']} DashboardData */
  /**
   * A run's outcome for one family (the OpenAPI document still calls them strings).
   * @typedef {{ family: string, version?: number | null, promoted?: boolean, mae?: number,
   *   error?: string }} RunOutcome
   */

  /**
   * The body of a table of the page.
   * @param {string} id
   */
  function tbodyOf(id) {
    return /** @type {HTMLTableSectionElement} */ ($(id).querySelector('tbody'));
  }

  /** @param {DashboardData} data */
  function drawTiles(data) {
    text('generated-at', 'as of ' + when(data.generatedAt));
    text('dataset-rows', integer.format(data.datasetRows));
    if (!data.champion) {
      text('champion-name', 'none yet');
      return;
    }
    text('champion-name', data.champion.family + ' v' + data.champion.version);
    text('champion-mae', usd.format(data.champion.mae));
    text('champion-r2', data.champion.r2.toFixed(4));
  }

  /** @param {DashboardData} data */
  function drawFamilies(data) {
    var container = $('families');
    if (data.families.length === 0) {
      container.append(el('p', { class: 'muted' }, ['No model trained yet.']));
      return;
    }
    data.families.forEach(function (f, i) {
      if (f.versions.length === 0) {
        container.append(
          el('div', { class: 'card' }, [
            el('h2', {}, [f.family]),
            el('p', { class: 'muted' }, [f.description]),
            el('p', {}, ['No version trained yet.']),
          ]),
        );
        return;
      }
      var canvas = /** @type {HTMLCanvasElement} */ (
        el('canvas', {
          id: 'family-chart-' + f.family,
          'aria-label': f.family + ' versions',
        })
      );
      /** @param {{ version: number }} v */
      var pageOf = function (v) {
        return (
          '/dashboard/version?family=' + encodeURIComponent(f.family) + '&version=' + v.version
        );
      };
      var links = el('p', { class: 'muted versions' }, ['Version pages: ']);
      f.versions.forEach(function (v, j) {
        if (j > 0) links.append(' · ');
        links.append(el('a', { href: pageOf(v) }, ['v' + v.version]));
      });
      container.append(
        el('div', { class: 'card' }, [
          el('h2', {}, [f.family]),
          el('p', { class: 'muted' }, [f.description + ' Click a point for its version page.']),
          el('div', { class: 'chart' }, [canvas]),
          links,
        ]),
      );
      var labels = f.versions.map(function (v) {
        return 'v' + v.version + ' · ' + v.createdAt.slice(0, 16).replace('T', ' ');
      });
      var isChampion = f.versions.map(function (v) {
        return v.version === f.championVersion;
      });
      var colour = PALETTE[i % PALETTE.length];
      new Chart(canvas, {
        type: 'line',
        data: {
          labels: labels,
          datasets: [
            {
              label: 'holdout MAE (USD)',
              yAxisID: 'mae',
              borderColor: colour,
              backgroundColor: colour,
              data: f.versions.map(function (v) {
                return v.mae;
              }),
              pointStyle: isChampion.map(function (c) {
                return c ? 'star' : 'circle';
              }),
              pointRadius: isChampion.map(function (c) {
                return c ? 12 : 4;
              }),
              pointBorderWidth: isChampion.map(function (c) {
                return c ? 3 : 1;
              }),
            },
            {
              label: 'holdout R²',
              yAxisID: 'r2',
              borderColor: '#9ca3af',
              backgroundColor: '#9ca3af',
              borderDash: [6, 4],
              data: f.versions.map(function (v) {
                return v.r2;
              }),
            },
          ],
        },
        options: {
          maintainAspectRatio: false,
          animation: false,
          onClick: function (_event, elements) {
            if (elements.length) location.href = pageOf(f.versions[elements[0].index]);
          },
          onHover: function (event, elements) {
            var target = /** @type {HTMLElement | null} */ (event.native && event.native.target);
            if (target) target.style.cursor = elements.length ? 'pointer' : 'default';
          },
          scales: {
            mae: { position: 'left', title: { display: true, text: 'MAE (USD)' } },
            r2: {
              position: 'right',
              title: { display: true, text: 'R²' },
              grid: { drawOnChartArea: false },
            },
          },
          plugins: {
            tooltip: {
              callbacks: {
                afterLabel: function (ctx) {
                  return isChampion[ctx.dataIndex] ? 'champion' : f.versions[ctx.dataIndex].status;
                },
              },
            },
          },
        },
      });
    });
  }

  /** @param {DashboardData} data */
  function drawScatter(data) {
    var canvas = canvasOf('champion-scatter');
    if (!data.champion) {
      text('scatter-caption', 'No champion yet.');
      return;
    }
    var points = data.champion.sample.map(function (p) {
      return { x: p.actual, y: p.predicted };
    });
    var max = points.reduce(function (m, p) {
      return Math.max(m, p.x, p.y);
    }, 0);
    text(
      'scatter-caption',
      data.champion.family +
        ' v' +
        data.champion.version +
        ': ' +
        points.length +
        ' holdout diamonds; points on the diagonal are perfect prices.',
    );
    new Chart(canvas, {
      type: 'scatter',
      data: {
        datasets: [
          {
            label: 'holdout diamonds',
            data: points,
            backgroundColor: 'rgba(37, 99, 235, 0.55)',
            pointRadius: 3,
          },
          {
            label: 'perfect price',
            type: 'line',
            data: [
              { x: 0, y: 0 },
              { x: max, y: max },
            ],
            borderColor: '#dc2626',
            borderDash: [6, 4],
            pointRadius: 0,
          },
        ],
      },
      options: {
        maintainAspectRatio: false,
        animation: false,
        scales: {
          x: { title: { display: true, text: 'actual price (USD)' } },
          y: { title: { display: true, text: 'predicted price (USD)' } },
        },
      },
    });
  }

  /**
   * One colour per status, told apart in the legend: its class's hue (grey outside 2xx–5xx), a
   * lighter shade for each further status of the same class.
   * @param {number[]} statuses sorted
   * @returns {Record<number, string>}
   */
  function statusColours(statuses) {
    /** @type {Record<string, number[]>} */
    var byClass = {};
    statuses.forEach(function (status) {
      var cls = String(status)[0];
      (byClass[cls] = byClass[cls] || []).push(status);
    });
    /** @type {Record<number, string>} */
    var colours = {};
    Object.keys(byClass).forEach(function (cls) {
      var members = byClass[cls];
      var hue = STATUS_HUES[cls];
      members.forEach(function (status, i) {
        var lightness = members.length === 1 ? 42 : 30 + (i * 40) / (members.length - 1);
        colours[status] =
          hue === undefined
            ? 'hsl(0, 0%, ' + lightness + '%)'
            : 'hsl(' + hue + ', 75%, ' + lightness + '%)';
      });
    });
    return colours;
  }

  /** @param {DashboardData} data */
  function drawAudit(data) {
    var canvas = canvasOf('audit-volume');
    if (data.auditVolume.length === 0) {
      canvas.hidden = true;
      $('audit-empty').hidden = false;
      text('audit-empty', 'No audited request in the last 24 hours.');
      return;
    }
    var routes = Array.from(
      new Set(
        data.auditVolume.map(function (r) {
          return r.route;
        }),
      ),
    ).sort();
    var statuses = Array.from(
      new Set(
        data.auditVolume.map(function (r) {
          return r.status;
        }),
      ),
    ).sort();
    var colours = statusColours(statuses);
    // Tall enough for every route's label: Chart.js would otherwise skip every other one.
    var box = /** @type {HTMLElement} */ (canvas.parentElement);
    box.style.height = Math.max(300, routes.length * AUDIT_ROW_PX + 80) + 'px';
    new Chart(canvas, {
      type: 'bar',
      data: {
        labels: routes,
        datasets: statuses.map(function (status) {
          return {
            label: String(status),
            backgroundColor: colours[status],
            data: routes.map(function (route) {
              var hit = data.auditVolume.find(function (r) {
                return r.route === route && r.status === status;
              });
              return hit ? hit.count : 0;
            }),
          };
        }),
      },
      options: {
        maintainAspectRatio: false,
        animation: false,
        indexAxis: 'y',
        scales: {
          x: { stacked: true, title: { display: true, text: 'requests' } },
          y: { stacked: true, ticks: { autoSkip: false } },
        },
      },
    });
  }

  /** @param {DashboardData} data */
  function drawRuns(data) {
    var body = tbodyOf('runs');
    if (data.runs.length === 0) {
      body.append(
        el('tr', {}, [el('td', { colspan: '6', class: 'muted' }, ['No training run yet.'])]),
      );
      return;
    }
    data.runs.forEach(function (r) {
      var perFamily =
        /** @type {RunOutcome[]} */ (/** @type {unknown} */ (r.outcomes))
          .map(function (o) {
            if (o.error) return o.family + ': failed (' + o.error + ')';
            return (
              o.family +
              ' v' +
              o.version +
              (o.promoted ? ' promoted' : ' kept as candidate') +
              (o.mae !== undefined ? ', MAE ' + usd.format(o.mae) : '')
            );
          })
          .join('; ') ||
        r.error ||
        '–';
      if (r.heldBatchIds.length > 0)
        perFamily +=
          '; held out: batch ' +
          r.heldBatchIds
            .map(function (id) {
              return '#' + id;
            })
            .join(', ') +
          ' (prices disagree with the champion; accept or retract)';
      body.append(
        el('tr', {}, [
          el('td', {}, ['#' + r.id]),
          el('td', {}, [r.trigger]),
          el('td', {}, [el('span', { class: 'badge ' + r.status }, [r.status])]),
          el('td', {}, [when(r.startedAt)]),
          el('td', {}, [r.durationSeconds === null ? '–' : r.durationSeconds + ' s']),
          el('td', {}, [perFamily]),
        ]),
      );
    });
  }

  /** @param {DashboardData} data */
  function drawDrift(data) {
    var body = tbodyOf('drift');
    var rows = data.drift;
    if (rows.length === 0) {
      body.append(
        el('tr', {}, [
          el('td', { colspan: '7', class: 'muted' }, [
            'No batch ingested since a champion was trained.',
          ]),
        ]),
      );
      return;
    }
    /** @type {Record<string, string>} */
    var verdictClass = { drifted: 'failed', stable: 'succeeded', 'too-few-rows': 'skipped' };
    rows.forEach(function (d) {
      // A held or retracted batch says so beside its number: its rows are not in the dataset.
      /** @type {(string | Node)[]} */
      var batchCell = ['#' + d.batchId];
      if (d.batchStatus !== 'active')
        batchCell.push(' ', el('span', { class: 'badge ' + d.batchStatus }, [d.batchStatus]));
      body.append(
        el('tr', { 'data-batch': String(d.batchId), 'data-status': d.batchStatus }, [
          el('td', {}, batchCell),
          el('td', {}, [d.reference.family + ' v' + d.reference.version]),
          el('td', {}, [integer.format(d.batchRows)]),
          el('td', { class: 'psi' }, [d.maxPsi.toFixed(3) + ' (' + d.maxPsiFeature + ')']),
          el('td', {}, [(d.outsideShare * 100).toFixed(1) + ' %']),
          el('td', {}, [
            el('span', { class: 'badge ' + verdictClass[d.verdict] }, [
              d.verdict === 'too-few-rows' ? 'too few rows to judge' : d.verdict,
            ]),
          ]),
          el('td', {}, [d.flaggedRunId === null ? '–' : 'run #' + d.flaggedRunId]),
        ]),
      );
    });
  }

  /** @param {DashboardData} data */
  function drawOutcomes(data) {
    var body = tbodyOf('outcomes');
    if (data.outcomes.length === 0) {
      body.append(
        el('tr', {}, [
          el('td', { colspan: '5', class: 'muted' }, [
            'No outcome recorded yet (POST /v1/outcomes).',
          ]),
        ]),
      );
      return;
    }
    data.outcomes.forEach(function (m) {
      body.append(
        el('tr', { 'data-month': m.month, 'data-model': m.family + ' v' + m.version }, [
          el('td', {}, [m.month]),
          el('td', {}, [m.family + ' v' + m.version]),
          el('td', {}, [integer.format(m.count)]),
          el('td', { class: 'live-mae' }, [usd.format(m.mae)]),
          el('td', {}, [m.holdoutMae === null ? '–' : usd.format(m.holdoutMae)]),
        ]),
      );
    });
  }

  /** @param {Error} err */
  function fail(err) {
    var box = $('error');
    box.hidden = false;
    box.textContent = 'Could not load the dashboard data: ' + err.message;
    document.body.dataset.state = 'error';
  }

  fetch('/dashboard/data', { headers: { accept: 'application/json' } })
    .then(function (res) {
      if (!res.ok) throw new Error('HTTP ' + res.status);
      return res.json();
    })
    .then(function (data) {
      drawTiles(data);
      drawFamilies(data);
      drawScatter(data);
      drawAudit(data);
      drawRuns(data);
      drawDrift(data);
      drawOutcomes(data);
      document.body.dataset.state = 'ready';
    })
    .catch(fail);
})();
