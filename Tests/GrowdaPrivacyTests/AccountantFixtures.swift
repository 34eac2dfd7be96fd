import Foundation

/// The values Google's dp-accounting computed for the tests, read from `Fixtures/accountant-fixtures.json`
/// beside this file (found through `#filePath`, so no resources are needed). `make_accountant_fixtures.py`
/// in that folder wrote it and says how to run it again.
struct AccountantFixtures: Decodable {
    /// One self-composed mechanism: `count` steps at sampling rate `q` (1: plain Gaussian) and noise `sigma`.
    struct Component: Decodable {
        let q: Double
        let sigma: Double
        let count: Int
    }

    /// ε after `steps` steps of one mechanism; nil when dp-accounting found it infinite.
    struct GridRow: Decodable {
        let q: Double
        let sigma: Double
        let steps: Int
        let delta: Double
        let epsilon: Double?
        let order: Double
    }

    /// ε of a composition of different mechanisms.
    struct CompositionRow: Decodable {
        let name: String
        let components: [Component]
        let delta: Double
        let epsilon: Double?
        let order: Double
    }

    /// The RDP at every default order after `steps` steps of one mechanism (nil: infinite).
    struct RDPRow: Decodable {
        let q: Double
        let sigma: Double
        let steps: Int
        let rdp: [Double?]
    }

    let dpAccountingVersion: String
    let orders: [Double]
    let grid: [GridRow]
    let compositions: [CompositionRow]
    let rdp: [RDPRow]

    /// The folder holding the fixture file and the script that made it.
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures", isDirectory: true)

    /// The committed fixtures.
    static let shared: AccountantFixtures = {
        let url = folder.appendingPathComponent("accountant-fixtures.json")
        do {
            return try JSONDecoder().decode(AccountantFixtures.self, from: Data(contentsOf: url))
        } catch {
            fatalError("cannot read \(url.path): \(error); run make_accountant_fixtures.py beside it")
        }
    }()
}

/// |a − b| / |b|, 0 when both are equal (including both infinite).
func relativeError(_ value: Double, _ expected: Double) -> Double {
    value == expected ? 0 : abs(value - expected) / abs(expected)
}
