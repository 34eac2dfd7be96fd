/// The release both programs print for `--version` (`growda` and `growda-node` are always built together).
public let growdaVersion = "0.1.0"
