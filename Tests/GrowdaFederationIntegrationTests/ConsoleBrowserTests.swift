import Foundation
import GrowdaAggregator
import GrowdaConsole
import GrowdaDashboard
import GrowdaNode
import GrowdaTestKit
import Testing

/// The consoles in a real headless Chromium: sign in, watch, upload. Each test saves its screenshots in
/// $GROWDA_SCREENSHOTS when that is set (to look at them).
@Suite(
    .serialized,
    .enabled(
        if: HeadlessChromium.executable != nil,
        "needs Chromium (Debian's chromium package, which deploy/install-deps.sh installs)"))
struct ConsoleBrowserTests {
    static func save(_ png: [UInt8], _ name: String) {
        guard let folder = ProcessInfo.processInfo.environment["GROWDA_SCREENSHOTS"] else { return }
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: folder + "/" + name, contents: Data(png))
    }

    /// Signs in on the login page the console redirects to, as a person would.
    static func signIn(_ page: HeadlessChromium.Page, token: String) throws {
        try page.waitFor("document.querySelector('input[name=secret]') !== null", seconds: 120)
        _ = try page.evaluate(
            "document.querySelector('input[name=secret]').value = \(String(reflecting: token)); "
                + "document.querySelector('form[action=\"/login\"]').submit(); true")
        try page.waitFor("location.pathname !== '/login' && document.readyState === 'complete'", seconds: 120)
    }

    /// The hospitals train under DP-SGD here, so the node table's privacy column shows each one's ε.
    @Test func theDashboardChartsChangeAsVersionsArrive() async throws {
        let running = try await RunningDashboard(
            hospitals: 2,
            settings: [
                "fedbuff.k": "2", "fedbuff.max_staleness": "50", "privacy.dp_clip": "1", "privacy.dp_noise": "1",
            ])
        defer { running.stop() }
        let port = running.port

        let browser = try HeadlessChromium(width: 1600, height: 1100)
        let page = try browser.open("http://127.0.0.1:\(port)/")
        #expect(try page.evaluate("location.pathname") as? String == "/login")
        try Self.signIn(page, token: running.token)
        #expect(try page.evaluate("document.querySelector('h1').textContent") as? String == "Federation dashboard")
        try page.waitFor("document.getElementById('live').textContent.includes('version 0')", seconds: 120)
        let chartBefore = try page.evaluate("document.getElementById('chart').innerHTML") as? String ?? ""

        try running.startNodes()
        // No reload: the event stream brings the new versions and a new chart.
        try page.waitFor(
            "(function(){ var m = document.getElementById('live').textContent.match(/version (\\d+)/); "
                + "return m && Number(m[1]) >= 2; })()", seconds: 90)
        try page.waitFor("document.querySelectorAll('#nodes td').length > 0", seconds: 60)
        let chartAfter = try page.evaluate("document.getElementById('chart').innerHTML") as? String ?? ""
        #expect(chartAfter.contains("<svg"))
        #expect(chartAfter != chartBefore)
        let table = try page.evaluate("document.getElementById('nodes').textContent") as? String ?? ""
        #expect(table.contains("hospital-1") && table.contains("hospital-2"))
        #expect(table.contains("Privacy ε"))
        try page.waitFor(
            "Array.from(document.querySelectorAll('#nodes tbody tr')).some(function (r) { "
                + "return /^\\d+\\.\\d\\d$/.test(r.lastElementChild.textContent); })", seconds: 60)
        Self.save(try page.screenshot(), "dashboard.png")
    }
}
