// libFuzzer entry point for GrowdaData's signal CSV loader (run it with Tests/Fuzz/fuzz.sh csv). The first
// input byte picks the row length (1 to 8 samples) and whether a header line comes first; the rest is the
// file. Every input must give a dataset or a thrown DatasetError; anything else (a trap, a leak, an
// out-of-bounds access under AddressSanitizer) is a finding.
@testable import GrowdaData

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let bytes = UnsafeBufferPointer(start: data + 1, count: size - 1)
    let sampleLength = Int(data[0] & 7) + 1
    let classNames: [String]? = data[0] & 0x10 == 0 ? nil : ["normal", "abnormal"]
    _ = try? Dataset.parseCSV(
        bytes, path: "fuzz.csv", sampleLength: sampleLength, classNames: classNames, hasHeader: data[0] & 8 != 0)
    return 0
}
