using Pulse.Runtime.Invocation;
using Pulse.Runtime.Messaging;
using Pulse.Runtime.Serialization;

namespace Pulse.Runtime.Tests.Messaging;

public sealed class ResponseBodyTests
{
    [Fact]
    public void ResultsRoundTripThroughAResponseBody()
    {
        using PulseWriter writer = new();
        ResponseBody.WriteResult(writer, new List<string> { "a" });
        Assert.Equal(["a"], ResponseBody.ReadResult<List<string>>(ResponseStatus.Ok, writer.ToArray()));
        Assert.Equal(42, ResponseBody.ReadResult<int>(ResponseStatus.Ok, ResponseBody.SerializeResult(42)));
        Assert.Null(ResponseBody.ReadResult<string?>(ResponseStatus.Ok, ResponseBody.SerializeResult<string?>(null)));
    }

    [Fact]
    public void NoResultMayBeAnEmptyBody()
    {
        ResponseBody.ReadResult<NoResult>(ResponseStatus.Ok, ReadOnlyMemory<byte>.Empty);
        ResponseBody.ReadResult<NoResult>(ResponseStatus.Ok, ResponseBody.SerializeResult(default(NoResult)));
        Assert.Throws<PulseSerializationException>(() => ResponseBody.ReadResult<int>(ResponseStatus.Ok, ReadOnlyMemory<byte>.Empty));
    }

    [Fact]
    public void AnExceptionResponseThrowsTheDeserializedException()
    {
        using PulseWriter writer = new();
        ResponseBody.WriteException(writer, new InvalidOperationException("grain failed"));
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(
            () => ResponseBody.ReadResult<int>(ResponseStatus.Exception, writer.ToArray()));
        Assert.Equal("grain failed", error.Message);
    }

    [Fact]
    public void RuntimeStatusesBecomeTheMatchingExceptions()
    {
        Assert.Throws<SiloUnavailableException>(() => ResponseBody.ReadResult<int>(ResponseStatus.Retry, default));
        Assert.Throws<SiloUnavailableException>(() => ResponseBody.ReadResult<int>(ResponseStatus.Rejected, default));
        Assert.Throws<TimeoutException>(() => ResponseBody.ReadResult<int>(ResponseStatus.Timeout, default));
        Assert.Throws<OperationCanceledException>(() => ResponseBody.ReadResult<int>(ResponseStatus.Cancelled, default));
    }

    [Fact]
    public void ACorruptExceptionBodyIsReportedAsASerializationFailure() =>
        Assert.IsType<PulseSerializationException>(ResponseBody.ReadFailure(ResponseStatus.Exception, new byte[] { 0x02, 0x7F }));
}
