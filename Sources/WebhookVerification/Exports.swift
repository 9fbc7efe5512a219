// The address types live in RelayConfig, where the configuration, the sinks and verification share one parser;
// they are part of this module's API (`SourcePolicy`, `RateLimiter`), so importing it brings them along.
@_exported import struct RelayConfig.IPAddress
@_exported import struct RelayConfig.IPAddressRange
