import Testing

@testable import GrowdaCLI

/// A negative number given to a numeric option is read as that number and refused with the option's range,
/// instead of being taken for a flag (`--epochs -1` used to say "Missing value for '--epochs <epochs>'").
@Suite struct NegativeNumberTests {
    static let train = ["train", "--data", "d", "--model", "small28", "--out", "m.safetensors"]

    @Test(arguments: [
        (train + ["--epochs", "-1"], "--epochs must be at least 1"),
        (train + ["--batch", "-8"], "--batch must be at least 1"),
        (train + ["--lr", "-0.001"], "--lr must be a positive number"),
        (train + ["--weight-decay", "-0.1"], "--weight-decay must be 0 or a positive number"),
        (train + ["--threads", "-2"], "--threads must be at least 1, got -2"),
        (
            ["status", "--federation", "f", "--timeout", "-1"],
            "--timeout must be greater than 0 and at most 600 seconds, got -1.0."
        ),
        (["status", "--federation", "f", "--watch", "-5"], "--watch must be between 0.2 and 86400 seconds, got -5.0."),
        (
            ["status", "--federation", "f", "--max-queue-fraction", "-0.5"],
            "--max-queue-fraction must be between 0 and 1, got -0.5."
        ),
        (["simulate", "--iid", "--duration", "10", "--hospitals", "-3"], "--hospitals must be in 1…200"),
        (["simulate", "--iid", "--duration", "-10"], "--duration must be positive"),
        (["simulate", "--iid", "--duration", "10", "--epochs", "-1"], "--epochs must be at least 1"),
        (
            ["data", "split", "--from", "a", "--out", "b", "--iid", "--hospitals", "-2"],
            "--hospitals must be between 1 and 999, got -2."
        ),
        (["data", "synth", "--out", "o", "--per-class", "-5"], "--per-class must be at least 1, got -5."),
        (["bench", "train", "--seconds", "-1"], "--seconds must be positive"),
        (["bench", "train", "--batch", "-1"], "--batch must be at least 1"),
        (
            ["eval", "--model", "m", "--data", "d", "--threshold", "-0.5"],
            "--threshold must be auto, argmax or a number in (0, 1), got '-0.5'"
        ),
        (["demo", "--epochs", "-1"], "--epochs must be at least 1"),
        (["serve", "--config", "f.conf", "--metrics-port", "-1"], "--metrics-port must be a TCP port (1–65535), got -1."),
        (["simulate", "--iid", "--duration", "10", "--weight-decay", "-1"], "--weight-decay must be in [0, 1)"),
        (["simulate", "--iid", "--duration", "10", "--server-lr", "-1"], "--server-lr must be a positive number"),
    ])
    func negativeNumbersGetTheRangeError(arguments: [String], message: String) {
        #expect(DataCommandTests.parseError(arguments) == message)
    }

    @Test func aNegativeSeedIsAnInvalidValueNotAMissingOne() throws {
        let message = try #require(DataCommandTests.parseError(Self.train + ["--seed", "-1"]))
        #expect(message.contains("'-1' is invalid for '--seed"), "\(message)")
    }
}
