import GrowdaCLI

await Growda.main()
