import Mustache

/// The dashboard's pages as Mustache templates, kept in the binary (no files to install, no external
/// assets): `{{x}}` is HTML-escaped, `{{{x}}}` only ever holds HTML rendered here.
enum DashboardTemplates {
    /// The templates by name, parsed once.
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, text) in [
            ("layout", layout), ("login", login), ("grid", grid), ("cell", cell), ("deployment", deployment),
            ("history", history), ("locks", locks), ("servers", servers), ("error", error),
        ] {
            // The templates are constants of this file: a parse error is a bug caught by every dashboard test.
            try? library.register(text, named: name)
        }
        return library
    }()

    /// Renders a template; an unknown name gives an empty string.
    static func render(_ object: Any, _ name: String) -> String {
        library.render(object, withTemplate: name) ?? ""
    }

    static let layout = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · Lander</title>
        <style>
        body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2329;background:#f6f7f9}
        header{display:flex;gap:1.5em;align-items:center;padding:.6em 1.2em;background:#1d2329;color:#fff}
        header a{color:#fff;text-decoration:none}header .brand{font-weight:700}header form{margin-left:auto}
        main{padding:1em 1.2em}table{border-collapse:collapse;background:#fff}
        th,td{border:1px solid #d5d9de;padding:.35em .6em;text-align:left;vertical-align:top}
        thead th{background:#eef0f3}td a{color:inherit;text-decoration:none;display:block}
        .succeeded{background:#e3f4e6}.failed,.interrupted{background:#fbe3e3}.running{background:#e1ecfb}
        .cancelled,.abandoned,.skipped{background:#f1efe4}.tolerated{background:#fdf3d6}.queued,.waiting{background:#efe6fb}
        .absent,.stopped{background:#f6f7f9}.alive{background:#e3f4e6}.gone{background:#fbe3e3}.version{font-weight:600}.age,.detail,.muted{color:#5b6670;font-size:.9em}
        pre#log{background:#101418;color:#dfe6ec;padding:.8em;overflow:auto;max-height:32em}
        pre#log .stderr{color:#ffb4a8}pre#log .log{color:#9fc3ff}.error{color:#a32020}
        dl.facts{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dt{font-weight:600}
        </style></head>
        <body><header><a class="brand" href="/">Lander</a><span>{{workspace}}</span>
        <nav><a href="/">Status</a> · <a href="/history">History</a> · <a href="/locks">Locks</a> · <a href="/servers">Servers</a></nav>
        {{#user}}<form method="post" action="/logout"><span class="muted">{{user}}</span> <button>Sign out</button></form>{{/user}}
        </header><main>{{{body}}}</main>
        {{#script}}<script>{{{script}}}</script>{{/script}}
        </body></html>
        """

    static let login = """
        <h1>Sign in</h1>
        {{#error}}<p class="error">{{error}}</p>{{/error}}
        <form method="post" action="/login"><p><label>API token<br>
        <input type="password" name="token" size="72" autocomplete="off" required></label></p>
        <p><button>Sign in</button></p></form>
        <p class="muted">Make one with <code>lander server token create --role viewer</code>. It is kept in an HttpOnly
        cookie of this browser until you sign out.</p>
        """

    static let grid = """
        <h1>{{workspace}}</h1>
        <p class="muted">Live updates: <span id="live-state">off: reload to update</span></p>
        <table class="grid" id="grid"><thead><tr><th>Project</th>{{#environments}}<th>{{.}}</th>{{/environments}}</tr></thead>
        <tbody>{{#rows}}<tr><th><a href="/history?project={{project}}">{{project}}</a></th>
        {{#cells}}<td id="{{id}}" class="cell {{state}}">{{> cell}}</td>{{/cells}}</tr>
        {{/rows}}</tbody></table>
        {{#hasOpen}}<h2>Running and interrupted</h2><ul>{{#open}}<li><a href="/deployments/{{id}}">{{project}} → {{environment}}
        {{version}}</a> <span class="{{status}}">{{status}}</span>{{#runner}} <span class="muted runner">on\
         <a href="/servers">{{runner}}</a></span>{{/runner}}</li>{{/open}}</ul>{{/hasOpen}}
        """

    static let cell = """
        {{#present}}<a href="/deployments/{{link}}"><span class="version">{{version}}</span> <span class="outcome">{{outcome}}</span>\
        {{#age}} <span class="age" data-time="{{time}}">{{age}} ago</span>{{/age}}{{#detail}}<span class="detail"><br>{{detail}}</span>{{/detail}}</a>{{/present}}\
        {{^present}}{{#applies}}<span class="muted">never deployed</span>{{/applies}}{{/present}}
        """

    static let deployment = """
        <h1>{{project}} → {{environment}} <span class="{{state}}" id="state">{{state}}</span></h1>
        <dl class="facts"><dt>Deployment</dt><dd>{{id}}</dd><dt>Version</dt><dd>{{version}}</dd>
        <dt>Requested by</dt><dd>{{user}}</dd>{{#runner}}<dt>Run by</dt><dd id="runner">{{runner}}</dd>{{/runner}}{{#started}}<dt>Started</dt><dd>{{started}}</dd>{{/started}}
        {{#finished}}<dt>Finished</dt><dd>{{finished}}</dd>{{/finished}}
        <dt>Why it is not done</dt><dd id="why">{{#why}}{{why}}{{/why}}{{^why}}it is done{{/why}}</dd>
        {{#error}}<dt>Error</dt><dd class="error">{{error}}</dd>{{/error}}
        {{#parent}}<dt>Started by</dt><dd><a href="/deployments/{{parent}}">deployment {{parent}}</a></dd>{{/parent}}</dl>
        {{#hasChildren}}<h2>Deployments it started</h2><ul>{{#children}}<li><a href="/deployments/{{id}}">{{project}} →
        {{environment}} {{version}}</a> <span class="{{status}}">{{status}}</span></li>{{/children}}</ul>{{/hasChildren}}
        <h2>Targets × steps</h2>
        <table class="steps" id="steps"><thead><tr><th>Target</th>{{#columns}}<th data-column="{{key}}">{{title}}</th>{{/columns}}</tr></thead>
        <tbody>{{#rows}}<tr data-target="{{target}}"><th>{{target}}</th>{{#cells}}<td id="{{id}}" class="{{status}}"\
         title="{{title}}">{{status}}</td>{{/cells}}</tr>{{/rows}}</tbody></table>
        {{#hasOutputs}}<h2>Outputs</h2><table><thead><tr><th>Step</th><th>Target</th><th>Name</th><th>Value</th></tr></thead>
        <tbody>{{#outputs}}<tr><td>{{step}}</td><td>{{target}}</td><td>{{name}}</td><td><code>{{value}}</code></td></tr>{{/outputs}}
        </tbody></table>{{/hasOutputs}}
        {{#hasNotes}}<h2>Notes</h2><ul>{{#notes}}<li>{{text}}</li>{{/notes}}</ul>{{/hasNotes}}
        <h2>Log</h2>{{#truncated}}<p class="muted">The last {{shown}} of {{total}} lines;
        <a href="/api/v1/deployments/{{id}}/logs">the whole log</a> (JSON).</p>{{/truncated}}
        <pre id="log" data-deployment="{{id}}" data-after="{{lastSequence}}" data-live="{{live}}">\
        {{#lines}}<span class="{{stream}}" data-target="{{target}}">{{prefix}}{{line}}</span>
        {{/lines}}</pre>
        """

    static let history = """
        <h1>History{{#project}} of {{project}}{{/project}}{{#environment}} in {{environment}}{{/environment}}</h1>
        <table><thead><tr><th>Deployment</th><th>Project</th><th>Environment</th><th>Version</th><th>Kind</th>
        <th>Outcome</th><th>Started</th><th>By</th></tr></thead><tbody>
        {{#rows}}<tr><td><a href="/deployments/{{id}}">{{id}}</a></td><td>{{project}}</td><td>{{environment}}</td>
        <td>{{version}}</td><td>{{kind}}</td><td class="{{status}}">{{status}}</td><td>{{started}}</td><td>{{user}}</td></tr>
        {{/rows}}</tbody></table>
        {{^rows}}<p class="muted">No deployments.</p>{{/rows}}
        {{#next}}<p><a href="{{next}}">Older →</a></p>{{/next}}
        """

    static let error = """
        <h1>{{code}} {{reason}}</h1><p>{{message}}</p>
        """

    static let locks = """
        <h1>Locks</h1>
        <table><thead><tr><th>Lock</th><th>State</th><th>Owner</th><th>Since</th></tr></thead><tbody>
        {{#rows}}<tr><td>{{name}}</td><td class="{{state}}">{{state}}</td><td>{{owner}}</td><td>{{since}}</td></tr>{{/rows}}
        </tbody></table>
        {{^rows}}<p class="muted">No lock is held or awaited.</p>{{/rows}}
        """

    static let servers = """
        <h1>Servers</h1>
        <p id="servers-summary">{{summary}}</p>
        <table id="servers"><thead><tr><th>Server</th><th>Address</th><th>State</th><th>Load</th><th>Heard from</th>
        <th>Runs</th></tr></thead><tbody>
        {{#rows}}<tr data-server="{{id}}"><td>{{id}}</td><td>{{address}}</td><td class="{{state}}">{{state}}</td>
        <td>{{load}}</td><td>{{heard}}</td><td>{{#runs}}<a href="/deployments/{{id}}">{{project}} → {{environment}}\
         {{version}}</a> {{/runs}}</td></tr>{{/rows}}
        </tbody></table>
        {{^rows}}<p class="muted">No server has run on this store.</p>{{/rows}}
        """
}
