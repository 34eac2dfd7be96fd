import Foundation
import GrowdaProvisioning

/// The dashboard's settings from `federation.conf` (`console.*`); `growda serve` turns them into a console.
public struct ConsoleConfiguration: Sendable, Equatable {
    /// The port (nil: no console unless `--console-port` gives one).
    public var port: Int?
    /// The bind address.
    public var host: String
    /// The console token's key file (absolute).
    public var tokenPath: String
    /// The bcrypt password file (absolute), if a password is set.
    public var passwordPath: String?
    /// The TLS certificate chain and key (absolute), both or neither.
    public var tlsCertificatePath: String?, tlsKeyPath: String?
    /// How long a login lasts, in minutes.
    public var sessionMinutes: Double
}

extension AggregatorConfiguration {
    /// The `console.*` keys, documented (gathered into ``knownKeys``).
    static var consoleKeys: [FederationConfig.KnownKey] {
        typealias Known = FederationConfig.KnownKey
        return [
            Known(
                Key.consolePort, section: .console,
                meaning: "Serve the federation dashboard and REST API on this port (growda serve --console-port "
                    + "overrides). Off when unset.",
                allowed: "1 to 65535, unlike the other ports", default: nil, example: "7710"),
            Known(
                Key.consoleHost, section: .console,
                meaning: "Where the dashboard binds. Another address than this machine's prints a warning unless "
                    + "TLS is configured.",
                allowed: "an IPv4 or IPv6 address, or a host name", default: Default.consoleHost),
            Known(
                Key.consoleTokenFile, section: .console,
                meaning: "The console token's key file (made by growda federation init, or growda console token); "
                    + "relative paths are inside the federation folder. Mode 0600.",
                allowed: "a path", default: Default.consoleTokenFile),
            Known(
                Key.consolePasswordFile, section: .console,
                meaning: "A password file made by growda console password: the password then opens the "
                    + "dashboard as the token does. Mode 0600.",
                allowed: "a path", default: nil, example: "console.password"),
            Known(
                Key.consoleTLSCertificate, section: .console,
                meaning: "Serve HTTPS with this PEM certificate chain (with console.tls_key).",
                allowed: "a path", default: nil, example: "/etc/growda/console.crt"),
            Known(
                Key.consoleTLSKey, section: .console,
                meaning: "The PEM private key of console.tls_certificate. Mode 0600.",
                allowed: "a path", default: nil, example: "/etc/growda/console.key"),
            Known(
                Key.consoleSessionMinutes, section: .console,
                meaning: "Minutes a dashboard login lasts; the page then asks again.",
                allowed: "a number of minutes from 1 to 10080", default: plain(Default.consoleSessionMinutes)),
        ]
    }

    static func readConsole(
        _ reader: inout SettingsReader, config: FederationConfig, federationDirectory: String
    ) -> ConsoleConfiguration {
        func absolute(_ path: String) -> String {
            path.hasPrefix("/") ? path : federationDirectory + "/" + path
        }
        var port: Int?
        if config[Key.consolePort] != nil {
            port = reader.read(nil) { () throws(ProvisioningError) in try config.port(Key.consolePort) }
        }
        let host = reader.read(Default.consoleHost) { () throws(ProvisioningError) in
            try config.host(Key.consoleHost, default: Default.consoleHost)
        }
        let token = absolute(reader.path(Key.consoleTokenFile) ?? Default.consoleTokenFile)
        let password = reader.path(Key.consolePasswordFile).map(absolute)
        let certificate = reader.path(Key.consoleTLSCertificate).map(absolute)
        let key = reader.path(Key.consoleTLSKey).map(absolute)
        if (certificate == nil) != (key == nil) {
            reader.fail(
                certificate == nil ? Key.consoleTLSKey : Key.consoleTLSCertificate,
                "needs \(certificate == nil ? Key.consoleTLSCertificate : Key.consoleTLSKey) too: TLS takes both files")
        }
        let minutes = reader.number(Key.consoleSessionMinutes, Default.consoleSessionMinutes) {
            $0 >= 1 && $0 <= 10080
        }
        return ConsoleConfiguration(
            port: port, host: host, tokenPath: token, passwordPath: password, tlsCertificatePath: certificate,
            tlsKeyPath: key, sessionMinutes: minutes)
    }
}
