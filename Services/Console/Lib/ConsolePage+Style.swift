extension ConsolePage {
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
