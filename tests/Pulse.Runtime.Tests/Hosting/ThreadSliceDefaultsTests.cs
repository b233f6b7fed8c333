using Pulse.Runtime.Hosting;

namespace Pulse.Runtime.Tests.Hosting;

public sealed class ThreadSliceDefaultsTests
{
    [Theory]
    [InlineData(null, ThreadSliceDefaults.DefaultSliceMicroseconds)]
    [InlineData("", ThreadSliceDefaults.DefaultSliceMicroseconds)]
    [InlineData("0", 0)]
    [InlineData("100", 100)]
    [InlineData(" 2500 ", 2500)]
    [InlineData("100000", 100_000)]
    public void TheSettingIsASliceInMicrosecondsOrZeroForOff(string? value, int micros) =>
        Assert.Equal(micros, ThreadSliceDefaults.ParseSetting(value));

    [Theory]
    [InlineData("99")]
    [InlineData("100001")]
    [InlineData("-100")]
    [InlineData("1.5")]
    [InlineData("1ms")]
    public void AValueTheKernelWouldNotGrantIsAnErrorNamingTheVariable(string value)
    {
        var error = Assert.Throws<InvalidOperationException>(() => ThreadSliceDefaults.ParseSetting(value));

        Assert.Contains(ThreadSliceDefaults.SliceVariable, error.Message);
        Assert.Contains($"'{value}'", error.Message);
    }
}
