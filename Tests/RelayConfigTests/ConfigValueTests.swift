import RelayConfig
import Testing

@Suite("Value parsers")
struct ConfigValueTests {
    @Test(arguments: [
        ("250ms", Duration.milliseconds(250)),
        ("10s", .seconds(10)),
        ("5m", .seconds(300)),
        ("2h", .seconds(7_200)),
        ("7d", .seconds(604_800)),
        ("0s", .zero),
        ("0010s", .seconds(10)),
        ("3153600000000ms", .seconds(3_153_600_000)),
        ("36500d", .seconds(36_500 * 86_400)),
    ])
    func durationsAcceptAnIntegerWithAUnit(text: String, expected: Duration) {
        #expect(ConfigValue.duration(text) == expected)
    }

    @Test(arguments: [
        "", "10", "s", "ms", "-5s", "+5s", "1.5s", "10 s", " 10s", "10s ", "10S", "10Ms", "5w", "1h30m", "1e3s",
        "99999999999999999999s", "106751991167301d", "١٠s", "36501d", "3153600000001ms", "9223372036854775807ms",
    ])
    func durationsRejectMissingUnitsSignsFractionsAndOverflow(text: String) {
        #expect(ConfigValue.duration(text) == nil)
    }

    @Test(arguments: [
        ("512KB", Int64(512_000)),
        ("1MiB", 1_048_576),
        ("100MB", 100_000_000),
        ("2GB", 2_000_000_000),
        ("1GiB", 1_073_741_824),
        ("3KiB", 3_072),
        ("1TB", 1_000_000_000_000),
        ("1TiB", 1_099_511_627_776),
        ("42B", 42),
        ("42", 42),
        ("0", 0),
        ("1125899906842624", 1 << 50),
        ("1024TiB", 1 << 50),
    ])
    func byteSizesAcceptDecimalAndBinaryUnits(text: String, expected: Int64) {
        #expect(ConfigValue.byteSize(text) == expected)
    }

    @Test(arguments: [
        "", "MB", "-1MB", "+1MB", "1.5MB", "1mb", "1Mb", "1 MB", "1KIB", "1kb", "10XB", "1MiBs",
        "9223372036854775807KB", "99999999999999999999", "9007199254740993TiB", "9223372036854775807", "1025TiB",
        "1125899906842625",
    ])
    func byteSizesRejectUnknownUnitsSignsFractionsAndOverflow(text: String) {
        #expect(ConfigValue.byteSize(text) == nil)
    }

    @Test(arguments: [("0", 0), ("42", 42), ("-7", -7), ("007", 7), ("9223372036854775807", Int.max)])
    func integersAcceptOptionallyNegativeDecimals(text: String, expected: Int) {
        #expect(ConfigValue.integer(text) == expected)
    }

    @Test(arguments: ["", "-", "+5", "1_000", "1,000", "1e3", "0x10", " 1", "1 ", "1.0", "9223372036854775808", "--1"])
    func integersRejectAnythingButDigits(text: String) {
        #expect(ConfigValue.integer(text) == nil)
    }

    @Test(arguments: [
        ("true", true), ("yes", true), ("on", true), ("false", false), ("no", false), ("off", false),
        ("TRUE", true), ("Off", false),
    ])
    func booleansAcceptTheSixWordsInAnyCase(text: String, expected: Bool) {
        #expect(ConfigValue.boolean(text) == expected)
    }

    @Test(arguments: ["", "1", "0", "y", "n", "enabled", "truee", " true"])
    func booleansRejectOtherWords(text: String) {
        #expect(ConfigValue.boolean(text) == nil)
    }

    @Test(arguments: [
        ("127.0.0.1:8080", "127.0.0.1", 8_080),
        ("0.0.0.0:80", "0.0.0.0", 80),
        (":8080", "0.0.0.0", 8_080),
        ("[::1]:8080", "::1", 8_080),
        ("[::]:443", "::", 443),
        ("[fe80::1%eth0]:443", "fe80::1%eth0", 443),
        ("[::ffff:10.0.0.1]:80", "::ffff:10.0.0.1", 80),
        ("[2001:db8:0:0:0:0:0:1]:1", "2001:db8:0:0:0:0:0:1", 1),
        ("localhost:0", "localhost", 0),
        ("relay.internal:65535", "relay.internal", 65_535),
    ])
    func socketAddressesSplitHostAndPort(text: String, host: String, port: Int) throws {
        let address = try #require(ConfigValue.socketAddress(text))
        #expect(address.host == host)
        #expect(address.port == port)
    }

    @Test(arguments: [
        "", "8080", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:+80", "127.0.0.1:80a",
        "127.0.0.1:000080", "::1:8080", "[::1]", "[::1]8080", "[]:80", "[::1:80", "256.0.0.1:80", "1.2.3:80",
        "1.2.3.4.5:80", "[1.2.3.4]:80", "bad host:80", "-x:80", "x..y:80", "[::1::2]:80", "[12345::]:80",
        "[1:2:3:4:5:6:7:8:9]:80", "[fe80::1%]:80",
    ])
    func socketAddressesRejectMalformedHostsAndPorts(text: String) {
        #expect(ConfigValue.socketAddress(text) == nil)
    }

    @Test(
        "hosts are read by the one address parser",
        arguments: [
            ("10.0.0.1", "10.0.0.1"), ("[::1]", "::1"), ("[fe80::1%eth0]", "fe80::1%eth0"),
            ("[::ffff:10.0.0.1]", "::ffff:10.0.0.1"), ("logs.example.com", "logs.example.com"), ("010.0.0.1", nil),
            ("10.0.0.01", nil), ("127.1", nil), ("[::ffff:010.0.0.1]", nil), ("[10.0.0.1]", nil), ("[fe80::1%]", nil),
            ("[2001:db8::00001]", nil), ("::1", nil),
        ] as [(String, String?)])
    func hostsUseTheAddressParser(text: String, host: String?) {
        #expect(ConfigValue.host(text) == host)
        #expect(ConfigValue.socketAddress(text + ":80")?.host == host)
    }
}
