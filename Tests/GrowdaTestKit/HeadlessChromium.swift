import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A real headless Chromium driven over the DevTools protocol through a pipe (`--remote-debugging-pipe`:
/// JSON messages ending in NUL, commands on the child's fd 3, answers on its fd 4), so the tests can sign in
/// to a console, upload files and look at the page as a person would, with no WebSocket client and no
/// Python. Tests skip, naming the tool, where ``executable`` finds no browser.
public final class HeadlessChromium: @unchecked Sendable {
    /// A failure of the browser or of a page check, with what was asked.
    public struct Failure: Error, CustomStringConvertible {
        /// What went wrong.
        public var description: String
    }

    /// The first Chromium found on PATH's usual places (Debian's `chromium` package), or nil.
    public static var executable: String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    private let pid: pid_t
    private let commands: Int32
    private let answers: Int32
    private var nextID = 1
    private var pending: [UInt8] = []
    private let profile: URL

    /// Starts a browser with a fresh profile and a `width`×`height` window.
    public init(width: Int = 1600, height: Int = 1000) throws {
        guard let executable = Self.executable else { throw Failure(description: "no chromium installed") }
        profile = FileManager.default.temporaryDirectory.appendingPathComponent("growda-chromium-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
        var toChild: [Int32] = [0, 0]
        var fromChild: [Int32] = [0, 0]
        guard pipe(&toChild) == 0, pipe(&fromChild) == 0 else { throw Failure(description: "pipe failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[0], 3)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 4)
        let devNull = Glibc.open("/dev/null", O_WRONLY)
        posix_spawn_file_actions_adddup2(&actions, devNull, 1)
        posix_spawn_file_actions_adddup2(&actions, devNull, 2)
        let arguments = [
            executable, "--headless=new", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu",
            "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check", "--hide-scrollbars",
            "--user-data-dir=\(profile.path)", "--window-size=\(width),\(height)", "about:blank",
        ]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var child: pid_t = 0
        let spawned = posix_spawn(&child, executable, &actions, nil, &argv, environ)
        _ = Glibc.close(devNull)
        _ = Glibc.close(toChild[0])
        _ = Glibc.close(fromChild[1])
        guard spawned == 0 else { throw Failure(description: "could not start \(executable): \(spawned)") }
        pid = child
        commands = toChild[1]
        answers = fromChild[0]
    }

    deinit {
        _ = try? call("Browser.close", timeout: 5)
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        Glibc.close(commands)
        Glibc.close(answers)
        try? FileManager.default.removeItem(at: profile)
    }

    /// Sends one command (to a page's session when given) and waits for its answer's `result`.
    @discardableResult
    public func call(
        _ method: String, _ params: [String: Any] = [:], session: String? = nil, timeout: Double = 30
    ) throws -> [String: Any] {
        let id = nextID
        nextID += 1
        var message: [String: Any] = ["id": id, "method": method, "params": params]
        if let session { message["sessionId"] = session }
        var bytes = [UInt8](try JSONSerialization.data(withJSONObject: message))
        bytes.append(0)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.write(commands, $0.baseAddress, $0.count) }
            guard n > 0 else { throw Failure(description: "chromium closed its pipe (\(method))") }
            sent += n
        }
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            while let end = pending.firstIndex(of: 0) {
                let text = Data(pending[..<end])
                pending.removeFirst(end + 1)
                guard let object = try JSONSerialization.jsonObject(with: text) as? [String: Any],
                    object["id"] as? Int == id
                else { continue }
                if let error = object["error"] as? [String: Any] {
                    throw Failure(description: "\(method): \(error["message"] ?? error)")
                }
                return object["result"] as? [String: Any] ?? [:]
            }
            var poller = pollfd(fd: answers, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 200) > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            let n = buffer.withUnsafeMutableBytes { Glibc.read(answers, $0.baseAddress, $0.count) }
            guard n > 0 else { throw Failure(description: "chromium exited (\(method))") }
            pending += buffer[..<n]
        }
        throw Failure(description: "\(method) got no answer in \(timeout) s")
    }

    /// A new tab showing `url`.
    public func open(_ url: String) throws -> Page {
        let target = try call("Target.createTarget", ["url": "about:blank"])
        guard let targetID = target["targetId"] as? String else { throw Failure(description: "no target id") }
        let attached = try call("Target.attachToTarget", ["targetId": targetID, "flatten": true])
        guard let session = attached["sessionId"] as? String else { throw Failure(description: "no session id") }
        let page = Page(browser: self, session: session)
        try page.call("Page.enable")
        try page.call("Runtime.enable")
        try page.navigate(url)
        return page
    }

    /// One tab.
    public final class Page {
        let browser: HeadlessChromium
        let session: String

        init(browser: HeadlessChromium, session: String) {
            self.browser = browser
            self.session = session
        }

        @discardableResult
        func call(_ method: String, _ params: [String: Any] = [:]) throws -> [String: Any] {
            try browser.call(method, params, session: session)
        }

        /// Loads `url` and waits until the document is complete.
        public func navigate(_ url: String) throws {
            try call("Page.navigate", ["url": url])
            try waitFor("document.readyState === 'complete' && location.href !== 'about:blank'", seconds: 30)
        }

        /// The value of a JavaScript expression (awaited when it is a promise), as JSON gives it.
        public func evaluate(_ expression: String) throws -> Any? {
            let result = try call(
                "Runtime.evaluate", ["expression": expression, "returnByValue": true, "awaitPromise": true])
            if let exception = result["exceptionDetails"] as? [String: Any] {
                throw Failure(description: "\(expression): \(exception["text"] ?? exception)")
            }
            return (result["result"] as? [String: Any])?["value"]
        }

        /// Waits until `expression` is true; throws, naming it, after `seconds`.
        public func waitFor(_ expression: String, seconds: Double) throws {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if (try? evaluate("Boolean(\(expression))")) as? Bool == true { return }
                Thread.sleep(forTimeInterval: 0.1)
            }
            throw Failure(description: "waited \(seconds) s for: \(expression)")
        }

        /// Puts `paths` in the file input `selector`, as a person choosing files would (fires `change`).
        public func setFiles(_ selector: String, _ paths: [String]) throws {
            let document = try call("DOM.getDocument", ["depth": 0])
            guard let root = (document["root"] as? [String: Any])?["nodeId"] as? Int else {
                throw Failure(description: "no document")
            }
            let found = try call("DOM.querySelector", ["nodeId": root, "selector": selector])
            guard let node = found["nodeId"] as? Int, node != 0 else {
                throw Failure(description: "no element matches \(selector)")
            }
            try call("DOM.setFileInputFiles", ["files": paths, "nodeId": node])
        }

        /// A PNG of the whole page as it is now.
        public func screenshot() throws -> [UInt8] {
            let shot = try call("Page.captureScreenshot", ["format": "png", "captureBeyondViewport": true])
            guard let text = shot["data"] as? String, let data = Data(base64Encoded: text) else {
                throw Failure(description: "no screenshot data")
            }
            return [UInt8](data)
        }
    }
}
