/// The dashboard's little script: it follows pushed events and changes the page in place. Without it every
/// page is a complete snapshot.
enum DashboardScript {
    /// The grid: `/ui/grid/events` pushes each cell whose content changed.
    static let grid = """
        (function () {
          var state = document.getElementById('live-state');
          if (!window.EventSource || !state) return;
          var source = new EventSource('/ui/grid/events');
          source.onopen = function () { state.textContent = 'on'; };
          source.onerror = function () { state.textContent = 'reconnecting…'; };
          source.addEventListener('cell', function (message) {
            var cell = JSON.parse(message.data), td = document.getElementById(cell.id);
            if (td) { td.className = 'cell ' + cell.state; td.innerHTML = cell.html; }
          });
          // Ages grow here, not on the server: a cell is pushed only when what it shows changed.
          function age(seconds) {
            return seconds < 60 ? Math.floor(seconds) + 's' : seconds < 3600 ? Math.floor(seconds / 60) + 'm' :
              seconds < 86400 ? Math.floor(seconds / 3600) + 'h' : Math.floor(seconds / 86400) + 'd';
          }
          setInterval(function () {
            Array.prototype.forEach.call(document.querySelectorAll('.age[data-time]'), function (span) {
              span.textContent = age(Math.max(0, (Date.now() - Date.parse(span.dataset.time)) / 1000)) + ' ago';
            });
          }, 10000);
        })();
        """

    /// A deployment page: its events after the ones the page was made from, applied as they come.
    static let deployment = """
        (function () {
          var log = document.getElementById('log');
          if (!log || log.dataset.live !== 'true' || !window.EventSource) return;
          var table = document.getElementById('steps'), state = document.getElementById('state');
          var why = document.getElementById('why'), head = table.tHead.rows[0], body = table.tBodies[0];
          var source = new EventSource('/api/v1/deployments/' + encodeURIComponent(log.dataset.deployment) +
            '/events?after=' + log.dataset.after);
          var words = { 'ok': 'succeeded', 'failed (tolerated)': 'tolerated' };
          function columnOf(e) { return !e.task || e.task === e.step ? e.step : e.step + '/' + e.task; }
          function columns() { return Array.prototype.map.call(head.querySelectorAll('th[data-column]'),
            function (th) { return th.dataset.column; }); }
          function cellOf(e) {
            var key = columnOf(e), id = 'ts-' + key + '--' + e.target, td = document.getElementById(id);
            if (td) return td;
            if (columns().indexOf(key) < 0) {
              var th = document.createElement('th'); th.dataset.column = key; th.textContent = key; head.appendChild(th);
              Array.prototype.forEach.call(body.rows, function (row) {
                row.insertCell(-1).id = 'ts-' + key + '--' + row.dataset.target; });
            }
            if (!document.getElementById(id)) {
              var row = body.insertRow(-1), name = document.createElement('th');
              row.dataset.target = e.target; name.textContent = e.target; row.appendChild(name);
              columns().forEach(function (column) { row.insertCell(-1).id = 'ts-' + column + '--' + e.target; });
            }
            return document.getElementById(id);
          }
          function mark(e, status) { var td = cellOf(e); if (td) { td.className = status; td.textContent = status; } }
          function line(e, text, stream) {
            var span = document.createElement('span');
            span.className = stream; span.dataset.target = e.target || '';
            span.textContent = (e.target ? e.target + ' | ' : '') + text;
            log.appendChild(span); log.appendChild(document.createTextNode('\\n'));
          }
          function finish(outcome) {
            state.textContent = outcome; state.className = outcome; why.textContent = 'it is done'; source.close();
          }
          source.onmessage = function (message) {
            var e = JSON.parse(message.data);
            switch (e.event) {
              case 'deployment_started': state.textContent = 'running'; state.className = 'running'; break;
              case 'step_started': why.textContent = 'runs step ' + e.step; break;
              case 'target_started': mark(e, 'running'); break;
              case 'target_finished': mark(e, words[e.outcome] || e.outcome); break;
              case 'output': line(e, e.line, e.stream); break;
              case 'log': line(e, '[' + e.level + '] ' + e.message, 'log'); break;
              case 'waiting_for_lock': why.textContent = 'waits for lock ' + e.lock + ', held by ' + e.holders; break;
              case 'waiting': why.textContent = 'waits for ' + e.message; break;
              case 'deployment_finished': finish(e.outcome); break;
            }
          };
          source.addEventListener('snapshot-end', function (message) {
            if (!JSON.parse(message.data).live) source.close();
          });
        })();
        """
}
