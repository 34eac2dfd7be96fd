import Foundation
import GrowdaTestKit
import Testing

/// The real data sets are found beside the checkout, whichever folder it is in, and no test names an
/// absolute path to them.
@Suite struct SharedDataTests {
    @Test func theDataFolderIsBesideTheCheckout() {
        #expect(
            FileManager.default.fileExists(atPath: SharedData.checkout.appendingPathComponent("Package.swift").path))
        let expected = SharedData.checkout.appendingPathComponent("../shared/data").standardizedFileURL.path
        #expect(SharedData.folder.standardizedFileURL.path == expected)
        #expect(SharedData.path("pneumoniamnist/train") == SharedData.folder.path + "/pneumoniamnist/train")
        #expect(SharedData.needs("kermany3") == "needs ../shared/data/kermany3 beside the checkout")
    }

    @Test func noTestNamesAnAbsoluteDataPath() throws {
        let tests = SharedData.checkout.appendingPathComponent("Tests")
        let absolute = ["/" + "work/", "\"/" + "shared/"]
        var offenders: [String] = []
        let files = try #require(FileManager.default.enumerator(at: tests, includingPropertiesForKeys: nil))
        for case let file as URL in files where file.pathExtension == "swift" {
            let text = try String(contentsOf: file, encoding: .utf8)
            if absolute.contains(where: text.contains) { offenders.append(file.lastPathComponent) }
        }
        #expect(offenders.isEmpty, "use SharedData.path(_:) instead of an absolute path in \(offenders)")
    }
}
