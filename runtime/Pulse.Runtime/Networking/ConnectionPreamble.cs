using System.Text;
using Pulse.Runtime.Membership;
using Pulse.Runtime.Messaging;

namespace Pulse.Runtime.Networking;

/// <summary>What kind of node is on one end of a connection.</summary>
public enum ConnectionRole : byte
{
    /// <summary>A silo: identified by its <see cref="Membership.SiloAddress"/>.</summary>
    Silo = 1,

    /// <summary>A client (gateway): identified by a client id; it hosts no grains.</summary>
    Client = 2,
}

/// <summary>
/// Who is on one end of a connection, as exchanged in the preamble right after connecting: protocol
/// version, cluster, role, identity and a human-readable node name. See <see cref="PreambleCodec"/>
/// for the wire layout.
/// </summary>
public sealed class ConnectionPreamble
{
    /// <summary>Longest cluster id, in UTF-8 bytes.</summary>
    public const int MaxClusterIdBytes = 512;

    /// <summary>Longest client id or node name, in UTF-8 bytes.</summary>
    public const int MaxNameBytes = 256;

    private ConnectionPreamble(string clusterId, ConnectionRole role, SiloAddress siloAddress, string? clientId, string nodeName)
    {
        CheckText(clusterId, MaxClusterIdBytes, nameof(clusterId), allowEmpty: false);
        CheckText(nodeName, MaxNameBytes, nameof(nodeName), allowEmpty: true);
        ClusterId = clusterId;
        Role = role;
        SiloAddress = siloAddress;
        ClientId = clientId;
        NodeName = nodeName;
    }

    /// <summary>The message protocol version the node speaks (<see cref="MessageSerializer.ProtocolVersion"/>).</summary>
    public byte ProtocolVersion { get; internal init; } = MessageSerializer.ProtocolVersion;

    /// <summary>The cluster the node belongs to; nodes of different clusters never talk.</summary>
    public string ClusterId { get; }

    /// <summary>Silo or client.</summary>
    public ConnectionRole Role { get; }

    /// <summary>The silo's identity; default for a client.</summary>
    public SiloAddress SiloAddress { get; }

    /// <summary>The client's id; null for a silo.</summary>
    public string? ClientId { get; }

    /// <summary>A human-readable name (host or pod name), for logs only.</summary>
    public string NodeName { get; }

    /// <summary>The preamble of a silo.</summary>
    /// <exception cref="ArgumentException">The address is default or a text field is empty or too long.</exception>
    public static ConnectionPreamble ForSilo(string clusterId, SiloAddress siloAddress, string nodeName)
    {
        if (siloAddress.IsDefault)
        {
            throw new ArgumentException("A silo preamble needs the silo's address.", nameof(siloAddress));
        }

        if (siloAddress.Endpoint.Port == 0)
        {
            throw new ArgumentException("A silo preamble needs the port the silo is bound to, not 0.", nameof(siloAddress));
        }

        return new ConnectionPreamble(clusterId, ConnectionRole.Silo, siloAddress, clientId: null, nodeName);
    }

    /// <summary>The preamble of a client.</summary>
    /// <exception cref="ArgumentException">A text field is empty or too long.</exception>
    public static ConnectionPreamble ForClient(string clusterId, string clientId, string nodeName)
    {
        CheckText(clientId, MaxNameBytes, nameof(clientId), allowEmpty: false);
        return new ConnectionPreamble(clusterId, ConnectionRole.Client, default, clientId, nodeName);
    }

    /// <summary>A copy that claims another protocol version (as read from the wire, or to test rejection).</summary>
    internal ConnectionPreamble WithProtocolVersion(byte protocolVersion) =>
        new(ClusterId, Role, SiloAddress, ClientId, NodeName) { ProtocolVersion = protocolVersion };

    /// <summary>The node's identity as text: the silo address or the client id.</summary>
    public string Identity => Role == ConnectionRole.Silo ? SiloAddress.ToString() : ClientId!;

    /// <summary>The silo address, or null for a client (the form <see cref="INetworkFaults"/> takes).</summary>
    internal SiloAddress? SiloOrNull => Role == ConnectionRole.Silo ? SiloAddress : null;

    /// <inheritdoc />
    public override string ToString() => Role == ConnectionRole.Silo
        ? $"silo {SiloAddress} ({NodeName})"
        : $"client {ClientId} ({NodeName})";

    private static void CheckText(string value, int maxBytes, string name, bool allowEmpty)
    {
        ArgumentNullException.ThrowIfNull(value, name);
        if (!allowEmpty && value.Length == 0)
        {
            throw new ArgumentException("The value must not be empty.", name);
        }

        if (Encoding.UTF8.GetByteCount(value) > maxBytes)
        {
            throw new ArgumentException($"The value has more than {maxBytes} UTF-8 bytes.", name);
        }
    }
}
