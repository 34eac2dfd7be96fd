import Testing

@testable import GrowdaWire

/// Frames made by an independent Python implementation (PyNaCl, NumPy, and Python's `safetensors`),
/// written from the protocol document alone, with node 7's key 00 01 … 1f and fixed nonces.
@Suite struct PythonInteropTests {
    @Test func updateWithPythonSafetensorsLayoutIsAccepted() throws {
        // safetensors.numpy.save(tensors, metadata=…) orders the metadata differently from Growda.
        let frames = [
            bytes(hex: "475257440101000007000000606162636465666768696a6b6c6d6e6f7071727374757677"),
            bytes(
                hex: """
                    b74db29a48b696b6d406f83348cc475223ceabd4df56e0278a6e353cec496fe10a7c356d10ebd936872022\
                    4916dc7638bd19c84ea867c341405a2f61790533ceddfbc5d06b9ac4ef768e78bb351959e41435a4b58f9b\
                    b984a9aef5425ea608c84493d0e703544453e0695a42a956d20a6c13d0be9b20309aec5221403c9224e4fb\
                    d791543244fedca8721ead2e4b535917f59a41d5a121b8c2008aab70021c3ac5749978c73485348744f11a\
                    aa46c3bba14457574fb3155a9e6deebed833a50bab6a0882cc5cce1985753475e8e7dbea
                    """),
        ]
        let expected = try WorkedExampleTests.example().update
        #expect(WireDecoder.open(frames, keys: Fixture.aggregatorKeys) == .success(.update(expected)))
    }

    @Test func snapshotRequestFromThePythonSketchIsAccepted() throws {
        let frames = [
            bytes(hex: "475257440104000007000000a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7"),
            bytes(
                hex: """
                    ce99560ebd3e9f827eda961b1e6f9abe5e95b71a8266e7ae0c0964149bcd02a730faa4cf66d42a054b693b\
                    b53c06b070aa9838cd412a431fdd250f586ac925d2127eab30e9c1204e5688eb163e09994428b479996ebb\
                    d5371aac696ee5a47dc636d450a912d9bdcf63f8a8c8c2f19e9bdf7fb16240d37538ee2d07c7e12dd25a
                    """),
        ]
        let expected = SnapshotRequest(node: 7, requestID: 123_456_789, haveVersion: nil)
        #expect(WireDecoder.open(frames, keys: Fixture.aggregatorKeys) == .success(.snapshotRequest(expected)))
    }
}
