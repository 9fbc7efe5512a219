import EngageRelay

await EngageRelayCommand.main(registry: .builtIn)
