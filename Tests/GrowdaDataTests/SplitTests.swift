import Foundation
import GrowdaTestKit
import Testing

@testable import GrowdaData

private let kermany = SharedData.path("kermany3")
private let kermanyManifest = kermany + "/train_manifest.csv"

@Suite struct SplitTests {
    /// 600 labels over three classes, 300 / 200 / 100.
    static let labels: [Int32] = (0..<600).map { $0 < 300 ? 0 : ($0 < 500 ? 1 : 2) }

    static func expectPartition(_ parts: [[Int]], count: Int) {
        let all = parts.flatMap { $0 }
        #expect(all.count == count)
        #expect(Set(all) == Set(0..<count))
        #expect(parts.allSatisfy { $0 == $0.sorted() })
    }

    @Test func dirichletIsDeterministicPerSeed() throws {
        let a = try HospitalSplit.split(labels: Self.labels, hospitals: 5, mode: .dirichlet(alpha: 0.5), seed: 3)
        let b = try HospitalSplit.split(labels: Self.labels, hospitals: 5, mode: .dirichlet(alpha: 0.5), seed: 3)
        let c = try HospitalSplit.split(labels: Self.labels, hospitals: 5, mode: .dirichlet(alpha: 0.5), seed: 4)
        #expect(a == b)
        #expect(a != c)
    }

    @Test(arguments: [0.05, 0.5, 100.0])
    func dirichletAssignsEverySampleOnce(alpha: Double) throws {
        let parts = try HospitalSplit.split(labels: Self.labels, hospitals: 7, mode: .dirichlet(alpha: alpha), seed: 1)
        #expect(parts.count == 7)
        Self.expectPartition(parts, count: 600)
        #expect(parts.allSatisfy { $0.count >= 10 })  // the default minimum: min(10, 600 / 14)
    }

    @Test func smallAlphaMakesUnequalHospitals() throws {
        let parts = try HospitalSplit.split(labels: Self.labels, hospitals: 5, mode: .dirichlet(alpha: 0.3), seed: 2)
        let sizes = parts.map(\.count)
        #expect(sizes.max()! >= 2 * sizes.min()!, "sizes \(sizes)")
        // Label skew: some hospital's class mix is far from the overall 50/33/17%.
        let skews = parts.map { part -> Double in
            let zeros = part.filter { Self.labels[$0] == 0 }.count
            return abs(Double(zeros) / Double(part.count) - 0.5)
        }
        #expect(skews.max()! > 0.2)
    }

    @Test func iidGivesEvenClassMixes() throws {
        let parts = try HospitalSplit.split(labels: Self.labels, hospitals: 4, mode: .iid, seed: 5)
        Self.expectPartition(parts, count: 600)
        for part in parts {
            let counts = (0..<3).map { c in part.filter { Self.labels[$0] == c }.count }
            #expect(counts == [75, 50, 25])
        }
    }

    @Test func minimumPerHospitalIsHonoured() throws {
        let parts = try HospitalSplit.split(
            labels: Self.labels, hospitals: 10, mode: .dirichlet(alpha: 0.05), seed: 8, minimumPerHospital: 25)
        Self.expectPartition(parts, count: 600)
        #expect(parts.allSatisfy { $0.count >= 25 }, "sizes \(parts.map(\.count))")
        #expect(throws: DatasetError.self) {
            try HospitalSplit.split(labels: Self.labels, hospitals: 10, mode: .iid, seed: 8, minimumPerHospital: 61)
        }
        #expect(throws: DatasetError.self) {
            try HospitalSplit.split(labels: Self.labels, hospitals: 3, mode: .dirichlet(alpha: 0), seed: 1)
        }
    }

    @Test func groupsStayInOneHospital() throws {
        let groups = (0..<600).map { "patient-\($0 / 3)" }
        let parts = try HospitalSplit.split(
            labels: Self.labels, groups: groups, hospitals: 6, mode: .dirichlet(alpha: 0.5), seed: 2)
        Self.expectPartition(parts, count: 600)
        for (h, part) in parts.enumerated() {
            for (other, rest) in parts.enumerated() where other != h {
                #expect(Set(part.map { groups[$0] }).isDisjoint(with: rest.map { groups[$0] }))
            }
        }
    }

    @Test func stratifiedValidationKeepsClassShares() throws {
        let (train, validation) = try TrainValidationSplit.split(labels: Self.labels, validationFraction: 0.2, seed: 1)
        Self.expectPartition([train, validation], count: 600)
        let counts = (0..<3).map { c in validation.filter { Self.labels[$0] == c }.count }
        #expect(counts == [60, 40, 20])
        let again = try TrainValidationSplit.split(labels: Self.labels, validationFraction: 0.2, seed: 1)
        #expect(again.validation == validation)
    }

    @Test func groupedValidationKeepsPatientsOnOneSide() throws {
        let groups = (0..<600).map { "p\(($0 * 7919) % 250)" }  // patients with mixed sizes and classes
        let (train, validation) = try TrainValidationSplit.split(
            labels: Self.labels, groups: groups, validationFraction: 0.25, seed: 3)
        Self.expectPartition([train, validation], count: 600)
        #expect(Set(train.map { groups[$0] }).isDisjoint(with: validation.map { groups[$0] }))
        #expect((120...180).contains(validation.count), "validation \(validation.count)")
    }

    @Test(.enabled(if: SharedData.has("kermany3/train_manifest.csv"), Comment(rawValue: SharedData.needs("kermany3"))))
    func kermanyManifestSplitsByPatient() throws {
        let catalog = try ImageCatalog.readManifest(kermanyManifest, imagesRoot: kermany + "/train")
        #expect(catalog.classNames == ["bacterial", "normal", "viral"])
        #expect(catalog.classCounts == [1_928, 1_102, 1_043])
        let (train, validation) = try TrainValidationSplit.split(
            catalog, validationFraction: 0.2, seed: 1, keepGroupsTogether: true)
        let groupsOf = { (indices: [Int]) in Set(indices.map { catalog.entries[$0].group! }) }
        #expect(groupsOf(train).isDisjoint(with: groupsOf(validation)))
        #expect(abs(Double(validation.count) / Double(catalog.entries.count) - 0.2) < 0.03)
        let parts = try HospitalSplit.split(
            catalog, hospitals: 4, mode: .dirichlet(alpha: 1), seed: 1, keepGroupsTogether: true)
        #expect(parts.map { $0.count }.reduce(0, +) == catalog.entries.count)
    }
}
