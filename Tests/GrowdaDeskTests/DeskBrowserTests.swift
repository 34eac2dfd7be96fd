import Foundation
import GrowdaData
import GrowdaTestKit
import Testing

/// The desk in a real headless Chromium: sign in, upload a PNG and a DICOM, see the probabilities and the
/// heat map, switch it off and on. Screenshots go to $GROWDA_SCREENSHOTS when set.
@Suite(
    .serialized,
    .enabled(
        if: HeadlessChromium.executable != nil,
        "needs Chromium (Debian's chromium package, which deploy/install-deps.sh installs)"))
struct DeskBrowserTests {
    @Test func aClinicianUploadsAPNGAndADICOMAndSeesTheOverlay() async throws {
        let desk = try await DeskTests.RunningDesk()
        defer { desk.stop() }
        let png = desk.folder.path("upload-scan.png")
        try Data(try DeskTests.scanPNG(seed: 11)).write(to: URL(fileURLWithPath: png))
        let dicom = desk.folder.path("upload-scan.dcm")
        try Data(try DeskTests.dicomFixture("mono2-u16-window.dcm")).write(to: URL(fileURLWithPath: dicom))
        let token = try #require(desk.auth["Authorization"]?.split(separator: " ").last.map(String.init))

        let browser = try HeadlessChromium(width: 1400, height: 1000)
        let page = try browser.open("http://127.0.0.1:\(desk.port)/")
        try page.waitFor("document.querySelector('input[name=secret]') !== null", seconds: 120)
        _ = try page.evaluate(
            "document.querySelector('input[name=secret]').value = \(String(reflecting: token)); "
                + "document.querySelector('form[action=\"/login\"]').submit(); true")
        try page.waitFor("location.pathname === '/' && document.getElementById('files') !== null", seconds: 120)
        try page.waitFor("document.getElementById('node').textContent.includes('v7')", seconds: 120)
        // The privacy the node has spent, from its status.
        let panel = try page.evaluate("document.getElementById('node').textContent") as? String ?? ""
        #expect(panel.contains("3.21") && panel.contains("ε ≤ 8") && panel.contains("DP-SGD: clip 1, noise σ 1.5"))

        try page.setFiles("#files", [png, dicom])
        try page.waitFor("document.querySelectorAll('.result-card img.overlay').length === 2", seconds: 120)
        try page.waitFor(
            "Array.from(document.querySelectorAll('.result-card img')).every(i => i.complete && i.naturalWidth > 0)",
            seconds: 60)
        let text = try page.evaluate("document.getElementById('results').textContent") as? String ?? ""
        #expect(text.contains("upload-scan.png") && text.contains("upload-scan.dcm"))
        #expect(text.contains("DICOM") && text.contains("PNG"))
        #expect(text.contains("%"))
        #expect(try page.evaluate("document.querySelector('img.overlay').style.opacity") as? String == "0.5")
        Self.save(try page.screenshot(), "desk.png")

        _ = try page.evaluate(
            "var o = document.getElementById('opacity'); o.value = '80'; o.dispatchEvent(new Event('input')); true")
        #expect(try page.evaluate("document.querySelector('img.overlay').style.opacity") as? String == "0.8")
        _ = try page.evaluate("document.getElementById('show-map').click(); true")
        #expect(try page.evaluate("document.querySelector('img.overlay').hidden") as? Bool == true)
    }

    static func save(_ png: [UInt8], _ name: String) {
        guard let folder = ProcessInfo.processInfo.environment["GROWDA_SCREENSHOTS"] else { return }
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: folder + "/" + name, contents: Data(png))
    }
}
