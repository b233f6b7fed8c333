using System.Net;
using Microsoft.Extensions.Options;
using Pulse.Runtime.Membership;
using Pulse.Runtime.Messaging;

namespace Pulse.Runtime.Configuration;

/// <summary>TCP transport settings: where a silo listens, what it advertises, limits and timeouts.</summary>
public sealed class NetworkingOptions
{
    /// <summary>Default <see cref="ListenAddress"/>: loopback, so an unconfigured silo is not reachable from other hosts.</summary>
    public const string DefaultListenAddress = "127.0.0.1";

    /// <summary>Default <see cref="SiloPort"/>.</summary>
    public const int DefaultSiloPort = 11111;

    /// <summary>Default <see cref="ClientPort"/>.</summary>
    public const int DefaultClientPort = 30000;

    /// <summary>Default <see cref="SendQueueCapacity"/>: messages waiting per connection.</summary>
    public const int DefaultSendQueueCapacity = 8192;

    /// <summary>Smallest <see cref="MaxFrameBytes"/> accepted: room for the largest header the serializer writes.</summary>
    public const int MinMaxFrameBytes = 16 * 1024;

    /// <summary>Default <see cref="ConnectTimeout"/>: 5 seconds.</summary>
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Default <see cref="HandshakeTimeout"/>: 5 seconds.</summary>
    public static readonly TimeSpan DefaultHandshakeTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Default <see cref="ReconnectBackoffMin"/>: 100 milliseconds.</summary>
    public static readonly TimeSpan DefaultReconnectBackoffMin = TimeSpan.FromMilliseconds(100);

    /// <summary>Default <see cref="ReconnectBackoffMax"/>: 5 seconds.</summary>
    public static readonly TimeSpan DefaultReconnectBackoffMax = TimeSpan.FromSeconds(5);

    /// <summary>The local IP address both listeners bind to (<c>0.0.0.0</c> for every interface).</summary>
    public string ListenAddress { get; set; } = DefaultListenAddress;

    /// <summary>
    /// The IP address other nodes reach this silo on, written into its <see cref="SiloAddress"/> (a pod
    /// IP on Kubernetes). Null means <see cref="ListenAddress"/>, which then must be a specific address.
    /// </summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>The silo-to-silo port; 0 picks a free port, and the bound port is the one advertised.</summary>
    public int SiloPort { get; set; } = DefaultSiloPort;

    /// <summary>The port clients (gateways) connect to; 0 disables the client listener.</summary>
    public int ClientPort { get; set; } = DefaultClientPort;

    /// <summary>
    /// Whether a <see cref="ClientPort"/> of 0 picks a free port instead of disabling client access
    /// (in-process test clusters, where fixed ports would collide).
    /// </summary>
    public bool PickFreeClientPort { get; set; }

    /// <summary>Largest frame read or written; a peer that sends a larger one is disconnected before it is buffered.</summary>
    public int MaxFrameBytes { get; set; } = MessageSerializer.DefaultMaxFrameBytes;

    /// <summary>Messages that may wait to be written per connection; senders wait when it is full (back-pressure).</summary>
    public int SendQueueCapacity { get; set; } = DefaultSendQueueCapacity;

    /// <summary>Longest time a TCP connect may take.</summary>
    public TimeSpan ConnectTimeout { get; set; } = DefaultConnectTimeout;

    /// <summary>Longest time the preamble exchange may take after the TCP connection is up, on either side.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = DefaultHandshakeTimeout;

    /// <summary>Back-off after the first failed connect to a silo; it doubles with each further failure.</summary>
    public TimeSpan ReconnectBackoffMin { get; set; } = DefaultReconnectBackoffMin;

    /// <summary>Longest back-off between connect attempts to one silo.</summary>
    public TimeSpan ReconnectBackoffMax { get; set; } = DefaultReconnectBackoffMax;

    /// <summary>Whether a client listener should be started.</summary>
    public bool IsClientListenerEnabled => ClientPort != 0 || PickFreeClientPort;

    /// <summary>The parsed <see cref="ListenAddress"/>.</summary>
    public IPAddress GetListenAddress() => IPAddress.Parse(ListenAddress);

    /// <summary>The parsed <see cref="AdvertisedAddress"/>, or the listen address when none is set.</summary>
    public IPAddress GetAdvertisedAddress() =>
        string.IsNullOrEmpty(AdvertisedAddress) ? GetListenAddress() : IPAddress.Parse(AdvertisedAddress);

    /// <summary>
    /// The silo's identity once its silo listener is bound: the advertised address, the port actually
    /// bound (which differs from <see cref="SiloPort"/> when that is 0) and the generation.
    /// </summary>
    public SiloAddress CreateSiloAddress(IPEndPoint boundSiloEndpoint, long generation)
    {
        ArgumentNullException.ThrowIfNull(boundSiloEndpoint);
        return new SiloAddress(new IPEndPoint(GetAdvertisedAddress(), boundSiloEndpoint.Port), generation);
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"ListenAddress={ListenAddress}, AdvertisedAddress={AdvertisedAddress ?? "(listen address)"}, SiloPort={SiloPort}, ClientPort={ClientPort}, " +
        $"MaxFrameBytes={MaxFrameBytes}, SendQueueCapacity={SendQueueCapacity}, ConnectTimeout={ConnectTimeout}, HandshakeTimeout={HandshakeTimeout}, " +
        $"ReconnectBackoff={ReconnectBackoffMin}..{ReconnectBackoffMax}";
}

/// <summary>Validates <see cref="NetworkingOptions"/> at start-up.</summary>
public sealed class NetworkingOptionsValidator : IValidateOptions<NetworkingOptions>
{
    /// <summary>Largest <see cref="NetworkingOptions.SendQueueCapacity"/> accepted.</summary>
    public const int MaxSendQueueCapacity = 1_000_000;

    public ValidateOptionsResult Validate(string? name, NetworkingOptions options)
    {
        List<string> failures = [];
        bool listenParsed = IPAddress.TryParse(options.ListenAddress, out IPAddress? listen);
        if (!listenParsed)
        {
            failures.Add($"Pulse:Networking:ListenAddress '{options.ListenAddress}' is not an IP address.");
        }

        if (!string.IsNullOrEmpty(options.AdvertisedAddress))
        {
            if (!IPAddress.TryParse(options.AdvertisedAddress, out IPAddress? advertised))
            {
                failures.Add($"Pulse:Networking:AdvertisedAddress '{options.AdvertisedAddress}' is not an IP address.");
            }
            else if (IsUnspecified(advertised))
            {
                failures.Add("Pulse:Networking:AdvertisedAddress must be an address other nodes can connect to, not a wildcard.");
            }
        }
        else if (listenParsed && IsUnspecified(listen!))
        {
            // Other silos cannot connect to 0.0.0.0: the address in the membership table must be real.
            failures.Add("Pulse:Networking:AdvertisedAddress is required when ListenAddress is a wildcard.");
        }

        CheckPort(options.SiloPort, nameof(options.SiloPort), failures);
        CheckPort(options.ClientPort, nameof(options.ClientPort), failures);
        if (options.SiloPort != 0 && options.SiloPort == options.ClientPort)
        {
            failures.Add("Pulse:Networking:SiloPort and ClientPort must differ.");
        }

        if (options.MaxFrameBytes < NetworkingOptions.MinMaxFrameBytes)
        {
            failures.Add($"Pulse:Networking:MaxFrameBytes must be at least {NetworkingOptions.MinMaxFrameBytes}.");
        }

        if (options.SendQueueCapacity is < 1 or > MaxSendQueueCapacity)
        {
            failures.Add($"Pulse:Networking:SendQueueCapacity must be between 1 and {MaxSendQueueCapacity}.");
        }

        CheckPositive(options.ConnectTimeout, nameof(options.ConnectTimeout), failures);
        CheckPositive(options.HandshakeTimeout, nameof(options.HandshakeTimeout), failures);
        CheckPositive(options.ReconnectBackoffMin, nameof(options.ReconnectBackoffMin), failures);
        if (options.ReconnectBackoffMax < options.ReconnectBackoffMin)
        {
            failures.Add("Pulse:Networking:ReconnectBackoffMax must not be less than ReconnectBackoffMin.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsUnspecified(IPAddress address) =>
        address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.None) || address.Equals(IPAddress.IPv6None);

    private static void CheckPort(int port, string name, List<string> failures)
    {
        if (port is < 0 or > IPEndPoint.MaxPort)
        {
            failures.Add($"Pulse:Networking:{name} must be between 0 and {IPEndPoint.MaxPort}.");
        }
    }

    private static void CheckPositive(TimeSpan value, string name, List<string> failures)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add($"Pulse:Networking:{name} must be positive.");
        }
    }
}
