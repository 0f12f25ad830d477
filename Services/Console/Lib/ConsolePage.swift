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
}
