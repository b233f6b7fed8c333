using Pulse.Runtime.Configuration;

namespace Pulse.Runtime.Tests.Networking;

public sealed class NetworkingOptionsTests
{
    [Fact]
    public void DefaultsAreValidAndMatchTheDocumentedPorts()
    {
        NetworkingOptions options = new();

        Assert.True(new NetworkingOptionsValidator().Validate(null, options).Succeeded);
        Assert.Equal(11111, options.SiloPort);
        Assert.Equal(30000, options.ClientPort);
        Assert.Equal("127.0.0.1", options.GetAdvertisedAddress().ToString());
    }

    [Fact]
    public void WildcardListenAddressNeedsARealAdvertisedAddress()
    {
        NetworkingOptions options = new() { ListenAddress = "0.0.0.0" };
        Assert.False(new NetworkingOptionsValidator().Validate(null, options).Succeeded);

        options.AdvertisedAddress = "0.0.0.0";
        Assert.False(new NetworkingOptionsValidator().Validate(null, options).Succeeded);

        options.AdvertisedAddress = "10.0.0.7";
        Assert.True(new NetworkingOptionsValidator().Validate(null, options).Succeeded);
        Assert.Equal("10.0.0.7:4242", options.CreateSiloAddress(new System.Net.IPEndPoint(System.Net.IPAddress.Any, 4242), 1).Endpoint.ToString());
    }

    [Fact]
    public void InvalidValuesAreAllReported()
    {
        NetworkingOptions options = new()
        {
            ListenAddress = "not-an-ip",
            SiloPort = 70_000,
            ClientPort = -1,
            MaxFrameBytes = 10,
            SendQueueCapacity = 0,
            ConnectTimeout = TimeSpan.Zero,
            HandshakeTimeout = TimeSpan.FromSeconds(-1),
            ReconnectBackoffMin = TimeSpan.FromSeconds(2),
            ReconnectBackoffMax = TimeSpan.FromSeconds(1),
        };

        Microsoft.Extensions.Options.ValidateOptionsResult result = new NetworkingOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Equal(8, result.Failures!.Count());
    }
}
