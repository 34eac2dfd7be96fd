import Foundation
import GrowdaCrypto
import GrowdaProvisioning
import GrowdaTestKit
import Testing

/// The permission bits of `path`.
func permissions(_ path: String) throws -> Int {
    try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
}

/// Sets the permission bits of `path`.
func setPermissions(_ path: String, _ mode: Int) throws {
    try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
}

/// The bytes of the file at `path`.
func contents(_ path: String) throws -> Data {
    try Data(contentsOf: URL(fileURLWithPath: path))
}

/// Every entry under `directory` (hidden ones too), as paths relative to it, sorted.
func entries(under directory: String) throws -> [String] {
    let enumerator = try #require(FileManager.default.enumerator(atPath: directory))
    return enumerator.compactMap { $0 as? String }.sorted()
}

/// A new federation in `temporary/fed`, a fresh temporary folder that is removed when `temporary` is
/// released: keep it alive while using the federation (`defer { withExtendedLifetime(temporary) {} }`).
func makeFederation(
    endpointHost: String = "agg.example.org"
) throws -> (temporary: TemporaryDirectory, federation: Federation) {
    let temporary = try TemporaryDirectory(prefix: "growda-provisioning")
    let federation = try Federation.create(directory: temporary.path("fed"), endpointHost: endpointHost)
    return (temporary, federation)
}

/// Runs `body`, expecting a ProvisioningError, and returns it (nil and an issue when none is thrown).
func provisioningError(_ body: () throws(ProvisioningError) -> Void) -> ProvisioningError? {
    do throws(ProvisioningError) {
        try body()
        Issue.record("expected a ProvisioningError")
        return nil
    } catch {
        return error
    }
}
