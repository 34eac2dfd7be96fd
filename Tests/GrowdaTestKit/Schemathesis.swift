import Foundation

/// Schemathesis (from PyPI) against a console's served OpenAPI document: every documented response must
/// match the document and no input may make the server answer 5xx. Tests skip, naming the tool, where it
/// is not installed (`pip install schemathesis`).
public enum Schemathesis {
    /// The `schemathesis` executable on PATH, or nil.
    public static var executable: String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin"
        return path.split(separator: ":").map { "\($0)/schemathesis" }.first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    /// The checks run: every check but `positive_data_acceptance`, which expects any body the schema allows
    /// to be accepted, and an image upload's schema (a string of bytes) cannot say "a decodable PNG".
    public static let excludedChecks = ["positive_data_acceptance"]

    /// Runs schemathesis against the document at `url` with the bearer `token`; returns its exit status and
    /// output (0: every check passed).
    public static func run(documentURL url: String, token: String, maxExamples: Int = 40) throws -> (Int32, String) {
        guard let executable else { return (127, "schemathesis is not installed") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "run", url, "--header", "Authorization: Bearer \(token)", "--checks", "all",
            "--exclude-checks", excludedChecks.joined(separator: ","), "--max-examples", String(maxExamples),
            "--seed", "1", "--no-color",
        ]
        var environment = ProcessInfo.processInfo.environment
        environment["SCHEMATHESIS_TELEMETRY"] = "false"
        process.environment = environment
        // Its cache of examples goes in the folder it runs in: a temporary one, not the checkout.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("growda-schemathesis")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        process.currentDirectoryURL = scratch
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
