/// The page shell both consoles share: head, header bar with the console's name and a sign-out button,
/// the stylesheet at /assets/console.css. Pages add their own script from /assets/ (no inline script, so
/// the Content-Security-Policy can forbid it).
public enum ConsolePage {
    /// A whole page: `body` is HTML already escaped by the caller; `scripts` are paths under /assets/.
    public static func render(
        title: String, heading: String, body: String, signedIn: Bool = true, scripts: [String] = []
    ) -> String {
        let scriptTags = scripts.map { "<script src=\"/assets/\(HTML.escape($0))\" defer></script>" }
            .joined(separator: "\n")
        let signOut =
            signedIn
            ? "<form method=\"post\" action=\"/logout\" class=\"signout\"><button type=\"submit\">Sign out</button></form>"
            : ""
        return """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(HTML.escape(heading)) · \(HTML.escape(title))</title>
            <link rel="stylesheet" href="/assets/console.css">
            \(scriptTags)
            </head>
            <body>
            <header class="bar"><span class="brand">Growda</span><span class="console">\(HTML.escape(title))</span>\
            <span class="spacer"></span>\(signOut)</header>
            <main>
            <h1>\(HTML.escape(heading))</h1>
            \(body)
            </main>
            </body>
            </html>
            """
    }

    /// The login page; `problem` is shown above the form when the last attempt failed.
    static func login(title: String, problem: String?, next: String, passwordAllowed: Bool) -> String {
        let problemHTML = problem.map { "<p class=\"problem\" role=\"alert\">\(HTML.escape($0))</p>" } ?? ""
        let hint =
            passwordAllowed
            ? "the console token (the text after <code>growda-console-key v1</code> in its key file) or the admin password"
            : "the console token: the text after <code>growda-console-key v1</code> in its key file"
        let body = """
            <section class="card login">
            \(problemHTML)
            <form method="post" action="/login">
            <input type="hidden" name="next" value="\(HTML.escape(next))">
            <label for="secret">Paste \(hint).</label>
            <input id="secret" name="secret" type="password" autocomplete="current-password" required autofocus>
            <button type="submit">Sign in</button>
            </form>
            </section>
            """
        return render(title: title, heading: "Sign in", body: body, signedIn: false)
    }

    /// The stylesheet: readable on a laptop and, from 1800 px wide, on a 1080p wall screen.
    static let stylesheet = """
        :root { --ink: #1b2430; --muted: #5b6777; --line: #d8dee6; --paper: #f6f8fa; --card: #ffffff;
          --accent: #1f6feb; --good: #1a7f37; --warn: #9a6700; --bad: #cf222e; font-size: 15px; }
        @media (min-width: 1800px) { :root { font-size: 20px; } }
        * { box-sizing: border-box; }
        body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
          color: var(--ink); background: var(--paper); line-height: 1.4; }
        header.bar { display: flex; align-items: center; gap: 1rem; padding: .6rem 1.2rem; background: #0d1b2a;
          color: #fff; }
        header.bar .brand { font-weight: 700; letter-spacing: .04em; }
        header.bar .console { color: #b8c4d4; }
        header.bar .spacer { flex: 1; }
        header.bar button { background: transparent; color: #fff; border: 1px solid #6c7a8c; }
        main { padding: 1rem 1.2rem 2rem; max-width: 2400px; margin: 0 auto; }
        h1 { font-size: 1.4rem; margin: .2rem 0 1rem; }
        h2 { font-size: 1.05rem; margin: 0 0 .6rem; color: var(--muted); font-weight: 600; }
        .grid { display: grid; gap: 1rem; grid-template-columns: repeat(auto-fit, minmax(22rem, 1fr)); }
        .card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 1rem; }
        .wide { grid-column: 1 / -1; }
        .figures { display: flex; flex-wrap: wrap; gap: 1.4rem; }
        .figure .value { font-size: 1.6rem; font-weight: 650; font-variant-numeric: tabular-nums; }
        .figure .label { color: var(--muted); font-size: .85rem; }
        table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
        th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); }
        th { color: var(--muted); font-weight: 600; font-size: .85rem; }
        td.num, th.num { text-align: right; }
        .state { display: inline-block; padding: .05rem .5rem; border-radius: 999px; font-size: .85rem;
          background: #eef1f4; }
        .state.alive, .state.training, .state.idle { background: #dafbe1; color: var(--good); }
        .state.lost, .state.refused { background: #fff8c5; color: var(--warn); }
        .state.revoked { background: #ffebe9; color: var(--bad); }
        .problem { color: var(--bad); }
        .muted { color: var(--muted); }
        svg { max-width: 100%; height: auto; display: block; }
        .chart svg { width: 100%; }
        button, .button { font: inherit; padding: .4rem .9rem; border-radius: 6px; border: 1px solid var(--line);
          background: var(--accent); color: #fff; cursor: pointer; }
        input[type=password], input[type=text] { font: inherit; padding: .45rem .6rem; width: 100%;
          border: 1px solid var(--line); border-radius: 6px; margin: .4rem 0 .8rem; }
        .login { max-width: 34rem; }
        code { background: #eef1f4; padding: 0 .25rem; border-radius: 4px; }
        h2.next { margin-top: 1rem; }
        svg.histogram { width: 100%; max-width: 32rem; }
        .chart { max-width: 1500px; }
        .live { font-size: .85rem; color: var(--muted); }
        .live.on::before { content: "●"; color: var(--good); margin-right: .3rem; }
        .drop { border: 2px dashed var(--line); border-radius: 8px; padding: 1.5rem; text-align: center; }
        .drop.over { border-color: var(--accent); background: #eef5ff; }
        .result { display: grid; grid-template-columns: minmax(14rem, 28rem) 1fr; gap: 1rem; align-items: start; }
        .viewer { position: relative; }
        .viewer img { width: 100%; display: block; image-rendering: auto; }
        .viewer img.overlay { position: absolute; inset: 0; }
        .prob { display: grid; grid-template-columns: 8rem 1fr 4rem; gap: .4rem; align-items: center; }
        .prob .bar { background: #eef1f4; height: .8rem; border-radius: 4px; overflow: hidden; }
        .prob .bar span { display: block; height: 100%; background: var(--accent); }
        .decision { font-size: 1.3rem; font-weight: 650; }
        .desk { display: grid; gap: 1rem; grid-template-columns: minmax(0, 3fr) minmax(16rem, 1fr);
          align-items: start; }
        @media (max-width: 1000px) { .desk { grid-template-columns: 1fr; } }
        .controls { display: flex; gap: 1.5rem; align-items: center; margin: .8rem 0; }
        .result-card { margin-top: 1rem; }
        .result-card h3 { margin: 0 0 .6rem; font-size: 1rem; }
        .facts p { margin: .3rem 0; }
        button.secondary { background: #fff; color: var(--accent); border-color: var(--accent); margin-top: .4rem; }
        label.button { display: inline-block; }
        @media (max-width: 800px) { .result { grid-template-columns: 1fr; } }
        """
}
