extension ConsolePage {
    /// The page's JavaScript: the live stream, the tables, the filters, the forms.
    static let script = #"""
        "use strict";
        const $ = (id) => document.getElementById(id);
        const MAX_ROWS = 500;
        let source = null, paused = false, pausedCount = 0, steer = null, samples = [];
        const eventRows = new Map();

        function text(value) { return value === undefined || value === null ? "" : String(value); }
        function cell(row, value, cls) {
          const td = row.insertCell(); td.textContent = text(value); if (cls) td.className = cls; return td;
        }
        function duration(ms) {
          const s = Math.max(0, Math.floor(ms / 1000));
          if (s < 60) return s + "s";
          if (s < 3600) return Math.floor(s / 60) + "m" + (s % 60) + "s";
          return Math.floor(s / 3600) + "h" + Math.floor(s % 3600 / 60) + "m";
        }
        function clock(ts) { return new Date(ts).toISOString().slice(11, 23); }

        function connect() {
          if (source) source.close();
          eventRows.clear();
          const query = new URLSearchParams();
          for (const name of ["service", "event", "user", "room", "sid", "topic"]) {
            const value = $("filter-" + name).value.trim();
            if (value) query.set(name, value);
          }
          if ($("filter-hello").checked) query.set("hello", "1");
          source = new EventSource("events?" + query.toString());
          source.onopen = () => { $("link").textContent = "live"; $("link").className = "pill on"; };
          source.onerror = () => { $("link").textContent = "reconnecting…"; $("link").className = "pill off"; };
          source.addEventListener("lines", (message) => onLines(JSON.parse(message.data)));
          source.addEventListener("state", (message) => onState(JSON.parse(message.data)));
        }

        function onLines(data) {
          $("dropped").textContent = data.dropped;
          if (paused) { pausedCount += data.lines.length; $("paused-note").textContent = pausedCount + " lines not shown while paused"; return; }
          const body = $("trace").tBodies[0];
          const scroller = body.closest(".scroll");
          const atBottom = scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 4;
          for (const line of data.lines) {
            if (line.type === "reply" && line.re && eventRows.has(line.re)) { attachReply(eventRows.get(line.re), line); continue; }
            addRow(body, line);
          }
          while (body.rows.length > MAX_ROWS) {
            const old = body.rows[0];
            if (old.line && old.line.type === "event") eventRows.delete(old.line.id);
            old.remove();
          }
          if (atBottom) scroller.scrollTop = scroller.scrollHeight;
        }

        function addRow(body, line) {
          const row = body.insertRow();
          row.line = line;
          row.className = "t-" + line.type + (line.error ? " error" : "");
          row.dataset.event = text(line.event);
          row.dataset.type = line.type;
          cell(row, clock(line.ts)); cell(row, line.type); cell(row, line.topic); cell(row, line.what, "what");
          cell(row, line.from); cell(row, line.sid); cell(row, line.user);
          const reply = cell(row, line.type === "reply" && line.ms !== undefined ? "+" + line.ms.toFixed(2) + " ms" : "", "reply");
          if (line.type === "event") eventRows.set(line.id, row);
          row.onclick = () => showDetail(row);
          return reply;
        }

        function attachReply(row, reply) {
          row.reply = reply;
          const td = row.cells[7];
          const latency = reply.ms !== undefined ? "+" + reply.ms.toFixed(2) + " ms " : "";
          td.textContent = latency + (reply.error ? reply.error : reply.what);
          td.classList.add("latency");
          if (reply.error) row.classList.add("error");
          if (row.classList.contains("selected")) showDetail(row);
        }

        function showDetail(row) {
          for (const other of document.querySelectorAll("#trace tr.selected")) other.classList.remove("selected");
          row.classList.add("selected");
          const parts = [row.line.type + " on " + row.line.topic, "header " + JSON.stringify(row.line.header, null, 2),
                         "body " + JSON.stringify(row.line.body, null, 2)];
          if (row.reply) {
            parts.push("reply after " + (row.reply.ms !== undefined ? row.reply.ms.toFixed(2) + " ms" : "?") + " on " + row.reply.topic,
                       "header " + JSON.stringify(row.reply.header, null, 2), "body " + JSON.stringify(row.reply.body, null, 2));
          }
          $("detail").textContent = parts.join("\n\n");
        }

        function onState(data) {
          if (data.first) { samples = data.history || []; }
          else if (data.history) { samples.push(...data.history); }
          const limit = 300;
          if (samples.length > limit) samples.splice(0, samples.length - limit);
          if (data.steer) { steer = data.steer; showSteer(); }
          $("received").textContent = data.counters.received;
          $("busDropped").textContent = data.counters.busDropped;
          showInstances(data.instances);
          drawPlots(samples);
        }

        function showInstances(instances) {
          const body = $("services").tBodies[0];
          body.textContent = "";
          for (const instance of instances) {
            const row = body.insertRow();
            row.className = instance.alive ? "alive" : "dead";
            row.dataset.service = instance.service; row.dataset.instance = instance.instance;
            row.dataset.ready = instance.ready && instance.alive ? "yes" : "no";
            cell(row, instance.service); cell(row, instance.instance);
            cell(row, !instance.alive ? "silent" : instance.ready ? "ready" : "starting", "ready");
            cell(row, duration(instance.uptimeMs)); cell(row, (instance.helloAgeMs / 1000).toFixed(1) + " s");
            cell(row, instance.lastRestart ? clock(instance.lastRestart) : "");
            const sockets = instance.sockets ? Object.entries(instance.sockets).map(([ns, n]) => ns + ": " + n).join(", ") || "0" : "";
            cell(row, sockets);
            cell(row, instance.handles.join(", ") + (instance.life.length ? "  life: " + instance.life.join(",") : ""), "handles");
            const actions = row.insertCell();
            const process = processFor(instance.service);
            if (process) {
              const button = document.createElement("button");
              button.className = "restart"; button.type = "button"; button.dataset.process = process;
              button.textContent = "restart"; button.onclick = () => restart(process);
              actions.appendChild(button);
            }
          }
        }

        function processFor(service) {
          if (!steer || !steer.enabled) return null;
          const names = steer.processes;
          if (names.includes(service)) return service;
          if (names.includes(service + "-service")) return service + "-service";
          return null;
        }

        function showSteer() {
          const select = $("restart-process");
          select.textContent = "";
          for (const name of steer.processes) { const option = document.createElement("option"); option.textContent = name; select.appendChild(option); }
          $("restart").disabled = !steer.enabled; select.disabled = !steer.enabled;
          $("restart-note").textContent = steer.enabled ? "" : "disabled: " + steer.reason;
        }

        async function restart(name) {
          $("restart-note").textContent = "restarting " + name + "…";
          const response = await fetch("api/restart?process=" + encodeURIComponent(name), { method: "POST" });
          const answer = await response.json();
          $("restart-note").textContent = answer.ok ? name + " restarted" : "restart failed: " + answer.error;
        }

        async function lookup(event) {
          event.preventDefault();
          const query = new URLSearchParams({ user: $("lookup-user").value.trim(), room: $("lookup-room").value.trim() });
          const answer = await (await fetch("api/lookup?" + query)).json();
          const body = $("lookup-result").tBodies[0];
          body.textContent = "";
          for (const socket of answer.sockets) {
            const row = body.insertRow();
            cell(row, socket.edge); cell(row, socket.sid); cell(row, socket.ns); cell(row, socket.user); cell(row, socket.rooms.join(", "));
          }
          $("lookup-note").textContent = answer.sockets.length + " of " + answer.known + " sockets known to the console";
        }

        async function send(event) {
          event.preventDefault();
          const request = { ns: $("send-ns").value, event: $("send-event").value.trim(), args: $("send-args").value, user: $("send-user").value.trim() };
          $("send-result").textContent = "sending…";
          const answer = await (await fetch("api/send", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(request) })).json();
          $("send-result").textContent = JSON.stringify(answer, null, 2);
        }

        $("filters").onsubmit = (event) => { event.preventDefault(); $("trace").tBodies[0].textContent = ""; connect(); };
        $("pause").onclick = () => {
          paused = !paused; pausedCount = 0;
          $("pause").textContent = paused ? "Resume" : "Pause";
          $("paused-note").textContent = paused ? "paused" : "";
        };
        $("clear").onclick = () => { $("trace").tBodies[0].textContent = ""; eventRows.clear(); };
        $("restart").onclick = () => restart($("restart-process").value);
        $("lookup").onsubmit = lookup;
        $("send").onsubmit = send;
        if (location.search.includes("token=")) window.history.replaceState(null, "", location.pathname);
        connect();
        """#
}
