import Foundation
import GrowdaTestKit
import GrowdaWire
import Testing

@testable import GrowdaNode

/// The top-k residual in the node's state folder: kept per update, read back after a restart, the one in
/// force chosen by node.json, damaged or foreign files counting as none.
@Suite struct ResidualTests {
    static func residual(_ value: Float) throws -> WireTensors {
        try WireTensors([
            WireTensor(name: "dense.weight", shape: [2, 3], values: (0..<6).map { value + Float($0) }),
            WireTensor(name: "dense.bias", shape: [2], values: [value, -value]),
        ])
    }

    @Test func aResidualSurvivesANewStateFolderAndOnlyTheOneInForceIsKept() throws {
        let dir = try TemporaryDirectory(prefix: "growda-residual")
        let state = try NodeStateFolder(path: dir.path("state"))
        #expect(state.loadResidual(seq: 3) == nil)
        try state.saveResidual(try Self.residual(0.5), seq: 3)
        // A crash after update 4's residual was written but before node.json moved past 4: the next round
        // is update 4 again, and reads update 3's residual, which is still there.
        try state.saveResidual(try Self.residual(9), seq: 4)
        let reopened = try NodeStateFolder(path: dir.path("state"))
        #expect(reopened.loadResidual(seq: 3) == (try Self.residual(0.5)))
        #expect(reopened.loadResidual(seq: 4) == (try Self.residual(9)))
        let mode = try FileManager.default.attributesOfItem(atPath: dir.path("state/residual/3.safetensors"))[.posixPermissions] as? Int
        #expect(mode == 0o600)
        reopened.pruneResiduals(keeping: 4)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path("state/residual")) == ["4.safetensors"])
        reopened.pruneResiduals(keeping: nil)  // a codec without residual: none is kept
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path("state/residual")).isEmpty)
    }

    @Test func aDamagedResidualCountsAsNone() throws {
        let dir = try TemporaryDirectory(prefix: "growda-residual")
        let state = try NodeStateFolder(path: dir.path("state"))
        try state.saveResidual(try Self.residual(1), seq: 2)
        let path = dir.path("state/residual/2.safetensors")
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes.removeLast(5)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(state.loadResidual(seq: 2) == nil)
        // Not a residual (another safetensors file under the name): none either.
        try Data("not safetensors".utf8).write(to: URL(fileURLWithPath: path))
        #expect(state.loadResidual(seq: 2) == nil)
    }
}
