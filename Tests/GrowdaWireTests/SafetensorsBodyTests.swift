import GrowdaSafetensors
import Testing

@testable import GrowdaWire

@Suite struct SafetensorsBodyTests {
    @Test func bodyMatchesTheSafetensorsWriterByteForByte() throws {
        let tensors = Fixture.tensors(seed: 3)
        let metadata = ["type": "update", "sender": "7", "quote\"and\\slash": "tab\tnewline\n\u{1}é"]
        let body = SafetensorsBody(metadata: metadata, tensors: tensors)
        var writer = SafetensorsWriter(metadata: metadata)
        for tensor in tensors.tensors {
            try writer.add(name: tensor.name, shape: tensor.shape, floats: tensor.values)
        }
        #expect(body.encoded == writer.encoded())
        #expect(body.byteCount == body.encoded.count)
        #expect(body.header.count % 8 == 0)
    }

    @Test func bodyParsesBackWithItsTensorsAndMetadata() throws {
        let tensors = Fixture.tensors(seed: 4)
        let body = SafetensorsBody(metadata: ["a": "1"], tensors: tensors).encoded
        let file = try SafetensorsFile(bytes: body)
        #expect(file.metadata == ["a": "1"])
        for tensor in tensors.tensors {
            #expect(try file.floats(tensor.name) == tensor.values)
            #expect(file.info(tensor.name)?.shape == tensor.shape)
        }
    }
}
