---@meta
-- LuaCATS stubs for Lander's Lua API, for editors (lua-language-server: add Plugins/_meta to
-- workspace.library). Nothing here runs; the functions are provided by Lander.

---The Lander API available to every template and hook. Read-only: shared by all plugins.
---@class lander
lander = {}

---Log lines at a level; they appear in the deployment log and progress output.
---@class lander.log
lander.log = {}

---@param message string
function lander.log.debug(message) end

---@param message string
function lander.log.info(message) end

---@param message string
function lander.log.warn(message) end

---@param message string
function lander.log.error(message) end

---Waits without holding a thread; other scripts keep running.
---@param seconds number
function lander.sleep(seconds) end

---Runs `fn` holding a named lock shared by every project whose deployments use the same state store;
---`{ limit = N }` makes it a semaphore. Waits in arrival order; the lock is let go however `fn` ends.
---@generic T
---@param name string
---@param opts { limit: integer? }?
---@param fn fun(): T
---@return T
function lander.lock(name, opts, fn) end

---Deploys another project of the workspace as a child of this deployment and waits for it; raises with
---the child's id and error when it fails. Templates only.
---@param spec { project: string, version: string?, release: string?, from: string?, environment: string?, when: ("always"|"not_current"|"higher"|"not_deployed")?, wait: boolean? }
---@return { status: "deployed"|"skipped"|"started", id: string?, version: string?, outcome: string, reason: string?, error: string? }
function lander.deploy(spec) end

---Like `lander.deploy`, returning nil and the error message instead of raising.
---@param spec { project: string, version: string?, release: string?, from: string?, environment: string?, when: string?, wait: boolean? }
---@return table?, string?
function lander.try_deploy(spec) end

---Waits until another project's running deployment reaches a milestone (or step); at once when it is
---not running or is past it. Templates only.
---@param spec { project: string, milestone: string?, step: string?, environment: string?, on_missing: ("fail"|"continue")? }
---@return { status: "reached"|"not_running"|"missing", id: string? }
function lander.wait_for(spec) end

---Declares a step template: typed parameters, validated when the deployment is planned, and `run`.
---@param spec { params: table<string, lander.Param>?, run: fun(ctx: lander.TaskContext, params: table), description: string? }
---@return table
function lander.template(spec) end

---Declares a plugin's hooks by lifecycle point (`post_deploy`, `on_failure`, …).
---@param spec { name: string?, hooks: table<string, fun(ctx: lander.HookContext, opts: table)> }
---@return table
function lander.plugin(spec) end

---@class lander.Param
---@field type "string"|"integer"|"number"|"boolean"|"list"|"map"
---@field default any?
---@field required boolean?

---JSON for hooks and templates.
---@class lander.json
lander.json = {}

---The JSON text of a value (tables with keys 1…n are arrays, string-keyed tables objects).
---@param value any
---@return string
function lander.json.encode(value) end

---The value of a JSON text (`null` members read as nil); raises when the text is not JSON.
---@param text string
---@return any
function lander.json.decode(text) end

---Stream sockets: one request-response exchange per call.
---@class lander.net
lander.net = {}

---Connects (a unix socket, or TCP host and port), sends `send`, and returns everything the other side
---writes until it closes the connection (HAProxy's runtime API, a line protocol). Raises on connection
---errors and on `timeout` (seconds, default 10).
---@param request { unix: string?, host: string?, port: integer?, send: string?, timeout: number? }
---@return string
function lander.net.request(request) end

---Whether a connection opens (nothing is sent): true, or false and why.
---@param request { unix: string?, host: string?, port: integer?, timeout: number? }
---@return boolean, string?
function lander.net.probe(request) end

---Programs a hook leaves running on the orchestrator for a later hook (hooks only).
---@class lander.process
lander.process = {}

---Starts `argv` (in the project's directory, its own process group) under `name`; returns its pid.
---@param name string
---@param argv string[]
---@return integer
function lander.process.start(name, argv) end

---Whether the named process runs.
---@param name string
---@return boolean
function lander.process.running(name) end

---Stops it (SIGTERM to its group, SIGKILL after 3 s); nil if none runs under that name.
---@param name string
---@return { exit_code: integer, stdout: string, stderr: string }?
function lander.process.stop(name) end

---HTTP requests; `get`/`post` raise on network errors and statuses ≥ 400, `try_*` return nil, err.
---@class lander.http
lander.http = {}

---@class lander.HttpOptions
---@field headers table<string, string>?
---@field body string?
---@field json table?
---@field timeout number?

---@class lander.HttpResponse
---@field status integer
---@field body string
---@field headers table<string, string>

---@param url string
---@param opts lander.HttpOptions?
---@return lander.HttpResponse
function lander.http.get(url, opts) end

---@param url string
---@param opts lander.HttpOptions?
---@return lander.HttpResponse
function lander.http.post(url, opts) end

---@param url string
---@param opts lander.HttpOptions?
---@return lander.HttpResponse?, string?
function lander.http.try_get(url, opts) end

---@param url string
---@param opts lander.HttpOptions?
---@return lander.HttpResponse?, string?
function lander.http.try_post(url, opts) end

---Files under the project's directory (hooks only).
---@class lander.fs
lander.fs = {}

---@param path string
---@return string
function lander.fs.read(path) end

---@param path string
---@param text string
---@param opts { append: boolean? }?
function lander.fs.write(path, text, opts) end

---@class lander.CommandResult
---@field exit_code integer
---@field stdout string
---@field stderr string
---@field ok boolean

---@class lander.Session
---@field name string
---@field pid integer
---@field running boolean

---@class lander.RunOptions
---@field check boolean? raise on a non-zero exit (default true)
---@field env table<string, string>?
---@field timeout number? seconds

---@class lander.Target
---@field name string
---@field root string
---@field roles string[]
---@field variables table
local Target = {}

---Runs argv on the target and waits; raises on a non-zero exit unless opts.check == false.
---@param argv string[]
---@param opts lander.RunOptions?
---@return lander.CommandResult
function Target:run(argv, opts) end

---Like run, but returns nil, message instead of raising.
---@param argv string[]
---@param opts lander.RunOptions?
---@return lander.CommandResult?, string?
function Target:try_run(argv, opts) end

---Starts a process that stays open as a session until closed or the deployment ends.
---@param argv string[]
---@param opts { name: string?, env: table<string, string>? }?
---@return lander.Session
function Target:spawn(argv, opts) end

---Copies a local file or directory (relative: under the project) to the target (relative: under its root).
---@param from string
---@param to string
function Target:upload(from, to) end

---Copies a file or directory from the target to this machine.
---@param from string
---@param to string
function Target:download(from, to) end

---The open session of a name on this target, or nil.
---@param name string
---@return lander.Session?
function Target:session(name) end

---Stops a session and returns how it ended (nil when none is open).
---@param name string
---@return lander.CommandResult?
function Target:close(name) end

---@class lander.TaskContext
---@field target lander.Target
---@field output table values this task sets on this target
---@field outputs table<string, table> values earlier steps set on this target
---@field milestone fun(name: string) reports a milestone of this deployment now (`wait_for:` of others)
---@field release { version: string }
---@field environment { name: string, variables: table }
---@field step string
---@field task string
---@field project string

---What a rolling point's function (`precheck`, `drain`, `undrain`, `verify`, `verify_fleet`,
---`stop_target`, `on_target_failed`) gets: the target it is about, and the point.
---@class lander.RollingContext
---@field target lander.Target
---@field outputs table<string, table> values earlier steps set on this target
---@field release { version: string }
---@field environment { name: string, variables: table }
---@field step string
---@field point string
---@field project string

---@class lander.HookContext
---@field point string
---@field project string
---@field release { version: string }
---@field environment { name: string, variables: table }
---@field deployment { id: string, outcome: string, error: string? }
---@field step string?
local HookContext = {}

---One line: outcome, task runs, failures, first error.
---@return string
function HookContext:summary() end
