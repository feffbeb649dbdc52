// The dashboard's browser script, served as a file (the page's CSP allows no inline script).
// Plain ES2017, no build. Every value from the API reaches the page through textContent or
// a DOM property, never as markup. It polls every 2 s and rebuilds a table only when it changed.
export const DASHBOARD_SCRIPT = String.raw`(function () {
  'use strict';
  var KEY = 'batsignal.adminToken';
  var POLL_MS = 2000;
  var MAX_ROWS = 500;
  var timer = null;
  var seq = 0;
  var lastRowsKey = '';
  var lastListKey = '';
  var current = null;

  function $(id) { return document.getElementById(id); }
  function token() { try { return sessionStorage.getItem(KEY); } catch (e) { return null; } }
  function setToken(t) {
    try { if (t) sessionStorage.setItem(KEY, t); else sessionStorage.removeItem(KEY); } catch (e) { /* storage off: this page load only */ }
  }
  function make(tag, cls, text) {
    var el = document.createElement(tag);
    if (cls) el.className = cls;
    if (text !== undefined && text !== null) el.textContent = String(text);
    return el;
  }
  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); }
  function tag(label, colour) { return make('strong', 'nhsuk-tag nhsuk-tag--' + colour, label); }

  function AuthError() { this.message = 'unauthorized'; }
  function api(path, accept) {
    return fetch(path, {
      headers: { Authorization: 'Bearer ' + token(), Accept: accept || 'application/json' },
      cache: 'no-store',
      credentials: 'omit'
    }).then(function (res) {
      if (res.status === 401) throw new AuthError();
      if (!res.ok) {
        return res.json().catch(function () { return {}; }).then(function (b) {
          var err = new Error(b.message || ('The server answered ' + res.status));
          err.status = res.status;
          throw err;
        });
      }
      return accept === 'text/csv' ? res.blob() : res.json();
    });
  }

  function selected() {
    var m = /^#alert-([0-9]{1,9})$/.exec(location.hash);
    return m ? Number(m[1]) : null;
  }
  function when(iso) {
    if (!iso) return '';
    return new Date(iso).toLocaleString('en-GB', { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
  }
  function ago(iso) {
    var min = Math.floor((Date.now() - new Date(iso).getTime()) / 60000);
    if (min < 1) return 'just now';
    if (min < 60) return min + ' min ago';
    var h = Math.floor(min / 60);
    if (h < 48) return h + ' h ' + (min % 60) + ' min ago';
    return Math.floor(h / 24) + ' days ago';
  }

  function setFieldError(message) {
    var err = $('token-error');
    clear(err);
    var on = Boolean(message);
    if (on) {
      err.appendChild(make('span', 'nhsuk-u-visually-hidden', 'Error: '));
      err.appendChild(document.createTextNode(message));
    }
    err.hidden = !on;
    $('token-group').classList.toggle('nhsuk-form-group--error', on);
    $('token').classList.toggle('nhsuk-input--error', on);
  }
  function showSignin(message) {
    stop();
    seq++;
    current = null;
    lastRowsKey = '';
    lastListKey = '';
    $('board').hidden = true;
    $('signin').hidden = false;
    setFieldError(message || '');
    $('token').value = '';
    $('token').focus();
  }
  function showBoard() {
    $('signin').hidden = true;
    $('board').hidden = false;
  }
  function problem(message) {
    $('problem').hidden = !message;
    $('problem-text').textContent = message || '';
  }

  function stop() { if (timer) { clearTimeout(timer); timer = null; } }
  function schedule() { stop(); timer = setTimeout(refresh, POLL_MS); }

  function cell(heading, content) {
    var td = make('td', 'nhsuk-table__cell');
    var h = make('span', 'nhsuk-table-responsive__heading', heading + ' ');
    h.setAttribute('aria-hidden', 'true');
    td.appendChild(h);
    if (typeof content === 'string') td.appendChild(document.createTextNode(content));
    else if (content) td.appendChild(content);
    return td;
  }
  function span() {
    var s = document.createElement('span');
    for (var i = 0; i < arguments.length; i++) {
      var part = arguments[i];
      if (part === null || part === undefined || part === '') continue;
      if (s.firstChild) s.appendChild(document.createTextNode(' '));
      s.appendChild(typeof part === 'string' ? document.createTextNode(part) : part);
    }
    return s;
  }

  function renderList(data, n) {
    $('no-alerts').hidden = data.alerts.length > 0;
    $('list').hidden = data.alerts.length === 0;
    var opted = $('optouts');
    opted.textContent = data.optedOutMembers === 1
      ? '1 member has opted out of alert texts (STOP).'
      : data.optedOutMembers + ' members have opted out of alert texts (STOP).';
    var key = JSON.stringify([n, data.alerts]);
    if (key === lastListKey) return;
    lastListKey = key;
    var body = $('alerts-body');
    clear(body);
    data.alerts.forEach(function (a) {
      var tr = make('tr', 'nhsuk-table__row');
      tr.setAttribute('data-alert', String(a.number));
      var link = make('a', null, '#' + a.number + ' ' + a.summary);
      link.href = '#alert-' + a.number;
      link.className = 'bs-summary';
      if (a.number === n) link.setAttribute('aria-current', 'true');
      tr.appendChild(cell('Alert', span(a.exercise ? tag('Exercise', 'orange') : null, link)));
      var by = a.raiser.organisation ? a.raiser.name + ' (' + a.raiser.organisation + ')' : a.raiser.name;
      tr.appendChild(cell('Raised', by + ', ' + when(a.createdAt)));
      tr.appendChild(cell('Acknowledged', a.counts.acknowledged + ' of ' + a.counts.recipients));
      tr.appendChild(cell('Status', a.status === 'open' ? tag('Open', 'blue') : tag('Closed', 'grey')));
      body.appendChild(tr);
    });
  }

  var COUNTS = [
    ['recipients', 'Recipients', ''],
    ['delivered', 'Delivered', 'good'],
    ['failed', 'Failed', 'bad'],
    ['pending', 'Awaiting receipt', ''],
    ['acknowledged', 'Acknowledged', 'good'],
    ['unacknowledged', 'Not acknowledged', 'warn'],
    ['reminded', 'Reminded', ''],
    ['optedOut', 'Opted out since', 'warn']
  ];

  function renderDetail(a, recipients) {
    $('detail').hidden = false;
    $('detail-title').textContent = 'Alert #' + a.number;
    var tags = $('detail-tags');
    clear(tags);
    if (a.exercise) tags.appendChild(tag('Exercise', 'orange'));
    if (a.exercise) tags.appendChild(document.createTextNode(' '));
    tags.appendChild(a.status === 'open' ? tag('Open', 'blue') : tag('Closed ' + when(a.closedAt), 'grey'));
    $('exercise-callout').hidden = !a.exercise;
    $('detail-summary').textContent = a.summary;
    $('detail-summary').className = 'nhsuk-body bs-summary';
    var meta = $('detail-meta');
    clear(meta);
    var by = a.raiser.organisation ? a.raiser.name + ' (' + a.raiser.organisation + ')' : a.raiser.name;
    var how = { sms: ' by text', forum: ' on the forum', admin: ' by an admin' }[a.source] || '';
    meta.appendChild(document.createTextNode('Raised by ' + by + how + ', ' +
      when(a.createdAt) + ' (' + ago(a.createdAt) + ').' + (a.lastAckAt ? ' Last acknowledgement ' + ago(a.lastAckAt) + '.' : '')));
    if (a.forumUrl && /^https?:\/\//.test(a.forumUrl)) {
      var f = make('a', null, 'Forum topic');
      f.href = a.forumUrl;
      f.rel = 'noopener noreferrer';
      meta.appendChild(document.createTextNode(' '));
      meta.appendChild(f);
    }

    var list = $('counts');
    clear(list);
    COUNTS.forEach(function (c) {
      var li = make('li', 'bs-count' + (c[2] ? ' bs-count--' + c[2] : ''));
      li.setAttribute('data-count', c[0]);
      li.appendChild(make('span', 'bs-count__value', a.counts[c[0]]));
      li.appendChild(make('span', 'bs-count__label', c[1]));
      list.appendChild(li);
    });
    var all = make('li', 'bs-count bs-count--warn');
    all.setAttribute('data-count', 'optedOutMembers');
    all.appendChild(make('span', 'bs-count__value', a.optedOutMembers));
    all.appendChild(make('span', 'bs-count__label', 'Opted out (all members)'));
    list.appendChild(all);

    $('nonresponders-title').textContent = 'Not acknowledged (' + recipients.count + ')';
    $('nonresponders-none').hidden = recipients.count > 0;
    $('nonresponders').hidden = recipients.count === 0;
    var key = JSON.stringify(recipients.recipients.slice(0, MAX_ROWS));
    if (key !== lastRowsKey) {
      lastRowsKey = key;
      var body = $('nonresponders-body');
      clear(body);
      recipients.recipients.slice(0, MAX_ROWS).forEach(function (r) {
        var tr = make('tr', 'nhsuk-table__row');
        tr.setAttribute('data-member', String(r.memberId));
        tr.appendChild(cell('Name', r.name));
        tr.appendChild(cell('Organisation', r.organisation));
        var tel = make('a', null, r.phone);
        tel.href = 'tel:' + r.phone;
        tr.appendChild(cell('Phone', tel));
        var state = { queued: 'Queued', submitted: 'Sent', delivered: 'Delivered', failed: 'Failed' }[r.deliveryState] || r.deliveryState;
        tr.appendChild(cell('Text', span(
          r.deliveryState === 'failed' ? tag(state, 'red') : state,
          r.receiptError ? '(' + r.receiptError + ')' : null,
          r.remindedAt ? '· reminded ' + when(r.remindedAt) : null,
          r.optedOut ? '· opted out since' : null
        )));
        body.appendChild(tr);
      });
    }
    var more = recipients.count - MAX_ROWS;
    $('nonresponders-more').hidden = more <= 0;
    $('nonresponders-more').textContent = more > 0 ? 'And ' + more + ' more: download the CSV for the full list.' : '';
  }

  function refresh() {
    var mine = ++seq;
    stop();
    if (!token()) return showSignin();
    var wanted = selected();
    api('/api/alerts?limit=20').then(function (list) {
      var n = wanted !== null ? wanted : (list.alerts[0] ? list.alerts[0].number : null);
      if (n === null) return [list, null, null, null];
      return Promise.all([list, n, api('/api/alerts/' + n), api('/api/alerts/' + n + '/recipients?state=unacknowledged')]);
    }).then(function (r) {
      if (mine !== seq) return;
      current = r[1];
      renderList(r[0], r[1]);
      if (r[2]) renderDetail(r[2], r[3]); else $('detail').hidden = true;
      problem('');
      $('updated').textContent = 'Updated ' + new Date().toLocaleTimeString('en-GB') + '. Refreshes every 2 seconds.';
    }).catch(function (err) {
      if (mine !== seq) return;
      if (err instanceof AuthError) {
        setToken(null);
        return showSignin('That token was not accepted. Check it and try again.');
      }
      if (err.status === 404 && wanted !== null) problem('There is no alert #' + wanted + '.');
      else problem('Could not load alerts (' + err.message + '). Trying again.');
    }).then(function () {
      if (mine === seq && token() && !$('board').hidden) schedule();
    });
  }

  function download(state) {
    if (current === null) return;
    var name = 'batsignal-' + current + '-' + state + '.csv';
    api('/api/alerts/' + current + '/recipients.csv?state=' + state, 'text/csv').then(function (blob) {
      var url = URL.createObjectURL(blob);
      var a = make('a');
      a.href = url;
      a.download = name;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
    }).catch(function (err) {
      if (err instanceof AuthError) { setToken(null); return showSignin('That token was not accepted. Check it and try again.'); }
      problem('Could not download the CSV (' + err.message + ').');
    });
  }

  function start() {
    // The start-up line may print a link with #token=...: take it, then drop it from the address bar.
    var m = /^#token=([^&]+)$/.exec(location.hash);
    if (m) {
      setToken(decodeURIComponent(m[1]));
      history.replaceState(null, '', location.pathname + location.search);
    }
    $('signin').addEventListener('submit', function (e) {
      e.preventDefault();
      var t = $('token').value.trim();
      if (!t) return setFieldError('Enter the admin token');
      setToken(t);
      $('token').value = '';
      showBoard();
      refresh();
    });
    $('signout').addEventListener('click', function () { setToken(null); showSignin(); });
    $('csv-unacked').addEventListener('click', function () { download('unacknowledged'); });
    $('csv-all').addEventListener('click', function () { download('all'); });
    window.addEventListener('hashchange', function () { lastRowsKey = ''; lastListKey = ''; refresh(); });
    if (token()) { showBoard(); refresh(); } else showSignin();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start); else start();
})();
`;
