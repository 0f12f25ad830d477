/// The console's one page: HTML, CSS and JavaScript written here, served as they are (no build
/// step, nothing loaded from elsewhere). Its parts: the services table, the plots, the live bus
/// table with its filters and detail view, the rooms-and-sockets lookup, and the steering forms.
enum ConsolePage {
    /// The whole page.
    static let html = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Switchboard console</title>
        <style>\(style)</style>
        </head>
        <body>
        \(body)
        <script>\(plots)</script>
        <script>\(script)</script>
        </body>
        </html>
        """

    private static let body = #"""
        <header>
          <h1>Switchboard console</h1>
          <span id="link" class="pill">connecting…</span>
          <span class="counters">received <b id="received">0</b> · lost by this page <b id="dropped">0</b>
            · lost by the console's bus connection <b id="busDropped">0</b></span>
        </header>
        <main>
        <section id="services-section">
          <h2>Services and instances</h2>
          <table id="services"><thead><tr><th>service</th><th>instance</th><th>ready</th><th>uptime</th>
            <th>hello age</th><th>last restart</th><th>sockets</th><th>handles</th><th></th></tr></thead>
            <tbody></tbody></table>
          <p class="note">A process turns red when it has missed three hellos (its liveness window).</p>
        </section>
        <section id="plots-section">
          <h2>Plots <small>(last minutes, one point a second)</small></h2>
          <div class="plots">
            <figure><figcaption>events/s per service</figcaption><canvas id="plot-events" width="460" height="170"></canvas></figure>
            <figure><figcaption>event→reply latency per service, p50 (solid) and p99 (dashed), ms</figcaption><canvas id="plot-latency" width="460" height="170"></canvas></figure>
            <figure><figcaption>edge connections</figcaption><canvas id="plot-connections" width="460" height="170"></canvas></figure>
            <figure><figcaption>delivery failures/s (error replies, unanswered events)</figcaption><canvas id="plot-failures" width="460" height="170"></canvas></figure>
          </div>
        </section>
        <section id="bus-section">
          <h2>The bus, live</h2>
          <form id="filters" autocomplete="off">
            <input id="filter-service" placeholder="service"> <input id="filter-event" placeholder="event">
            <input id="filter-user" placeholder="user"> <input id="filter-room" placeholder="room">
            <input id="filter-sid" placeholder="sid"> <input id="filter-topic" placeholder="topic prefix">
            <label><input type="checkbox" id="filter-hello"> hellos</label>
            <button id="apply-filter" type="submit">Filter</button>
            <button id="pause" type="button">Pause</button>
            <button id="clear" type="button">Clear</button>
            <span id="paused-note"></span>
          </form>
          <div class="split">
            <div class="scroll"><table id="trace"><thead><tr><th>time</th><th>type</th><th>topic</th><th>what</th>
              <th>from</th><th>sid</th><th>user</th><th>reply</th></tr></thead><tbody></tbody></table></div>
            <pre id="detail">Click a line for its full header and body.</pre>
          </div>
        </section>
        <section id="lookup-section">
          <h2>Rooms and sockets</h2>
          <form id="lookup" autocomplete="off">
            <input id="lookup-user" placeholder="user id"> <input id="lookup-room" placeholder="room">
            <button type="submit">Look up</button> <span id="lookup-note"></span>
          </form>
          <table id="lookup-result"><thead><tr><th>edge</th><th>sid</th><th>ns</th><th>user</th><th>rooms</th></tr></thead>
            <tbody></tbody></table>
        </section>
        <section id="steer-section">
          <h2>Steer</h2>
          <p>Restart a process: <select id="restart-process"></select> <button id="restart" type="button">Restart</button>
            <span id="restart-note"></span></p>
          <form id="send" autocomplete="off">Send a test event: ns <input id="send-ns" value="/" size="6">
            event <input id="send-event" placeholder="event"> args <input id="send-args" value="[]" size="30">
            as user <input id="send-user" placeholder="(none)" size="8"> <button type="submit">Send</button></form>
          <pre id="send-result"></pre>
        </section>
        </main>
        """#

    /// The page's CSS.
    static let style = #"""
        :root { --bg: #f7f7f5; --fg: #1d1d1f; --muted: #6b6b6b; --line: #deded9; --ok: #1f8a4c;
                --bad: #c62828; --accent: #2456a6; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 13px/1.4 system-ui, sans-serif; background: var(--bg); color: var(--fg); }
        header { display: flex; gap: 1em; align-items: baseline; padding: .6em 1em; background: #fff;
                 border-bottom: 1px solid var(--line); position: sticky; top: 0; z-index: 1; }
        h1 { font-size: 16px; margin: 0; }
        h2 { font-size: 14px; margin: 0 0 .4em; }
        h2 small { color: var(--muted); font-weight: normal; }
        main { padding: .5em 1em 2em; display: grid; gap: 1em; }
        section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .6em .8em; }
        table { border-collapse: collapse; width: 100%; }
        th, td { text-align: left; padding: 2px 6px; border-bottom: 1px solid var(--line); white-space: nowrap; }
        th { color: var(--muted); font-weight: 600; position: sticky; top: 0; background: #fff; }
        td.handles { white-space: normal; color: var(--muted); max-width: 40em; }
        .pill { padding: 1px 8px; border-radius: 9px; background: #eee; }
        .pill.on { background: #dff3e6; color: var(--ok); }
        .pill.off { background: #fde2e2; color: var(--bad); }
        .counters { color: var(--muted); margin-left: auto; }
        .note { color: var(--muted); margin: .3em 0 0; }
        #services tr.alive td:first-child { border-left: 4px solid var(--ok); }
        #services tr.dead { background: #fde2e2; color: var(--bad); }
        #services tr.dead td:first-child { border-left: 4px solid var(--bad); }
        .plots { display: grid; grid-template-columns: repeat(auto-fill, minmax(470px, 1fr)); gap: .5em; }
        figure { margin: 0; }
        figcaption { color: var(--muted); }
        canvas { border: 1px solid var(--line); background: #fcfcfb; max-width: 100%; }
        #filters input { width: 8em; }
        .split { display: grid; grid-template-columns: 3fr 2fr; gap: .5em; margin-top: .4em; }
        .scroll { height: 420px; overflow: auto; border: 1px solid var(--line); }
        #trace { font: 12px/1.3 ui-monospace, monospace; }
        #trace tr { cursor: pointer; }
        #trace tr:hover { background: #eef3fb; }
        #trace tr.selected { background: #dbe6f7; }
        #trace td.reply { color: var(--accent); }
        #trace tr.error td.reply, #trace tr.error td.what { color: var(--bad); }
        #trace tr.t-hello { color: var(--muted); }
        #detail { margin: 0; height: 420px; overflow: auto; background: #fafaf8; border: 1px solid var(--line);
                  padding: .5em; font: 12px/1.3 ui-monospace, monospace; white-space: pre-wrap; word-break: break-all; }
        #send-result { background: #fafaf8; border: 1px solid var(--line); padding: .4em; min-height: 2em;
                       white-space: pre-wrap; font: 12px/1.3 ui-monospace, monospace; }
        button { font: inherit; padding: 1px 10px; }
        button.restart { font-size: 11px; }
        button:disabled { opacity: .5; }
        """#
}
