using System.Net;
using Pulse.Runtime.Membership;

namespace Pulse.Runtime.Tests.Placement;

public sealed class SiloAddressTests
{
    [Theory]
    [InlineData("10.1.2.3", 11111, 638_000_000_000_000_000L, "10.1.2.3:11111@638000000000000000")]
    [InlineData("fe80::1", 11111, 5L, "[fe80::1]:11111@5")]
    [InlineData("::1", 30000, 1L, "[::1]:30000@1")]
    public void AddressesRoundTripThroughTheirTextFormIncludingIpv6(string address, int port, long generation, string text)
    {
        var silo = new SiloAddress(new IPEndPoint(IPAddress.Parse(address), port), generation);

        Assert.Equal(text, silo.ToParsableString());
        Assert.Equal(silo, SiloAddress.Parse(text));
    }

    [Theory]
    [InlineData("")]
    [InlineData("10.1.2.3:11111")]
    [InlineData("10.1.2.3@5")]
    [InlineData("nonsense:1@x")]
    public void MalformedTextIsRejected(string text) => Assert.Throws<FormatException>(() => SiloAddress.Parse(text));

    [Fact]
    public void TheSameEndpointWithAnotherGenerationIsAnotherSilo()
    {
        var first = new SiloAddress(new IPEndPoint(IPAddress.Loopback, 11111), 1);
        var restarted = new SiloAddress(new IPEndPoint(IPAddress.Loopback, 11111), 2);

        Assert.NotEqual(first, restarted);
        Assert.True(first.IsSameEndpoint(restarted));
    }
}
