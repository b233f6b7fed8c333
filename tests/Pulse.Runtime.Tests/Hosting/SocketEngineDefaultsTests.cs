using Pulse.Runtime.Hosting;

namespace Pulse.Runtime.Tests.Hosting;

public sealed class SocketEngineDefaultsTests
{
    [Fact]
    public void AnEnvironmentWithoutTheSwitchGetsInlineCompletions()
    {
        var environment = new Dictionary<string, string?>();

        bool changed = SocketEngineDefaults.PreferInlineCompletions(name => environment.GetValueOrDefault(name), (name, value) => environment[name] = value);

        Assert.True(changed);
        Assert.Equal("1", environment[SocketEngineDefaults.InlineCompletionsVariable]);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1")]
    [InlineData("")]
    public void AnOperatorsValueIsLeftAsItIs(string value)
    {
        var environment = new Dictionary<string, string?> { [SocketEngineDefaults.InlineCompletionsVariable] = value };

        bool changed = SocketEngineDefaults.PreferInlineCompletions(name => environment.GetValueOrDefault(name), (name, v) => environment[name] = v);

        Assert.False(changed);
        Assert.Equal(value, environment[SocketEngineDefaults.InlineCompletionsVariable]);
    }
}
