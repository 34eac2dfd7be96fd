import GrowdaCLI

/// The `growda` executable: all its work is in GrowdaCLI's root command.
@main
enum GrowdaMain {
    static func main() async {
        await Growda.main(nil)
    }
}
