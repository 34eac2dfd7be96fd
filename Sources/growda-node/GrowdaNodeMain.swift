import GrowdaNode

/// The `growda-node` executable: all its work is in GrowdaNode's `GrowdaNodeCommand`.
@main
enum GrowdaNodeMain {
    static func main() async {
        await GrowdaNodeCommand.main(nil)
    }
}
