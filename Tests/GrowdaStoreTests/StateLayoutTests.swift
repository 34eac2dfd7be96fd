import Testing

@testable import GrowdaStore

@Suite struct StateLayoutTests {
    @Test func fileNamesRoundTrip() {
        #expect(StateLayout.checkpointName(version: 42) == "models/v000000042.safetensors")
        #expect(StateLayout.checkpointName(version: 1_234_567_890) == "models/v1234567890.safetensors")
        #expect(StateLayout.optimizerStateName(version: 7) == "models/v000000007.optimizer.safetensors")
        #expect(StateLayout.bufferName(slot: 1) == "pending/buffer-1.safetensors")
        #expect(StateLayout.parseBufferFile("buffer-0.safetensors") == 0)
        #expect(StateLayout.parseBufferFile("buffer-1.safetensors") == 1)
        #expect(StateLayout.fileName("pending/buffer-1.safetensors") == "buffer-1.safetensors")
        #expect(StateLayout.parseModelFile("v000000042.safetensors")! == (42, false))
        #expect(StateLayout.parseModelFile("v000000007.optimizer.safetensors")! == (7, true))
        #expect(StateLayout.isDeltaFile("17-5.safetensors"))
        #expect(StateLayout.isTemporaryFile(".17-5.safetensors.tmp-12-ab"))
    }

    @Test func otherNamesAreNotTheStoresFiles() {
        for name in ["v.safetensors", "v+1.safetensors", "x000000001.safetensors", "v1.txt", "v1.adam.safetensors"] {
            #expect(StateLayout.parseModelFile(name) == nil, "\(name)")
        }
        for name in ["17.safetensors", "a-1.safetensors", "1-+2.safetensors", "1-2-3.safetensors", "1-2.bin"] {
            #expect(!StateLayout.isDeltaFile(name), "\(name)")
        }
        for name in ["buffer-2.safetensors", "buffer-01.safetensors", "buffer-1.bin", "17-5.safetensors"] {
            #expect(StateLayout.parseBufferFile(name) == nil, "\(name)")
        }
        #expect(!StateLayout.isTemporaryFile("17-5.safetensors"))
    }
}
