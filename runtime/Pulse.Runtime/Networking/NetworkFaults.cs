using System.Net;
using Pulse.Runtime.Membership;

namespace Pulse.Runtime.Networking;

/// <summary>
/// Fault injection consulted by the transport on every connect, send and receive. Blocked traffic
/// behaves like a dead network: messages vanish silently and connects time out; nothing closes cleanly.
/// </summary>
public interface INetworkFaults
{
    /// <summary>
    /// Whether traffic between <paramref name="local"/> and <paramref name="remote"/> is blocked. A null
    /// address is a client. Called on hot paths: must be cheap, thread-safe and non-blocking.
    /// </summary>
    bool IsBlocked(SiloAddress? local, SiloAddress? remote);
}

/// <summary>The production <see cref="INetworkFaults"/>: nothing is ever blocked.</summary>
public sealed class NoNetworkFaults : INetworkFaults
{
    /// <summary>The shared instance.</summary>
    public static NoNetworkFaults Instance { get; } = new();

    private NoNetworkFaults()
    {
    }

    /// <inheritdoc />
    public bool IsBlocked(SiloAddress? local, SiloAddress? remote) => false;
}

/// <summary>
/// Test faults: isolate a silo's endpoint so all its traffic, in and out, is dropped and connects to or
/// from it time out, then heal it. Matching is by endpoint, so a silo restarted on the same endpoint
/// stays isolated until healed.
/// </summary>
public sealed class PartitionableNetworkFaults : INetworkFaults
{
    private readonly Lock _lock = new();

    // Copy-on-write, so the hot-path read is one volatile load and a short scan.
    private volatile IPEndPoint[] _isolated = [];

    /// <summary>Cuts <paramref name="silo"/> off from every other node.</summary>
    public void Isolate(SiloAddress silo)
    {
        ArgumentNullException.ThrowIfNull(silo.Endpoint, nameof(silo));
        lock (_lock)
        {
            if (Array.IndexOf(_isolated, silo.Endpoint) < 0)
            {
                _isolated = [.. _isolated, silo.Endpoint];
            }
        }
    }

    /// <summary>Restores <paramref name="silo"/>'s traffic.</summary>
    public void Heal(SiloAddress silo)
    {
        lock (_lock)
        {
            _isolated = Array.FindAll(_isolated, endpoint => !endpoint.Equals(silo.Endpoint));
        }
    }

    /// <summary>Restores all traffic.</summary>
    public void HealAll()
    {
        lock (_lock)
        {
            _isolated = [];
        }
    }

    /// <summary>Whether <paramref name="silo"/> is isolated.</summary>
    public bool IsIsolated(SiloAddress silo) => silo.Endpoint is not null && Array.IndexOf(_isolated, silo.Endpoint) >= 0;

    /// <inheritdoc />
    public bool IsBlocked(SiloAddress? local, SiloAddress? remote)
    {
        IPEndPoint[] isolated = _isolated;
        if (isolated.Length == 0)
        {
            return false;
        }

        return (local is { } l && Array.IndexOf(isolated, l.Endpoint) >= 0)
            || (remote is { } r && Array.IndexOf(isolated, r.Endpoint) >= 0);
    }
}
