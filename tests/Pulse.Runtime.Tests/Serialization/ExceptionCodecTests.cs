using System.Text.Json;
using System.Xml;
using Pulse.Runtime.Serialization;

namespace Pulse.Runtime.Tests.Serialization;

public sealed class ExceptionCodecTests
{
    public sealed class OnlyMessageConstructorException(string message) : Exception(message);

    public sealed class ThrowingConstructorException : Exception
    {
        public ThrowingConstructorException(string message) : base(message)
        {
            throw new InvalidOperationException("constructor failed");
        }
    }

    public sealed class NoUsableConstructorException() : Exception("fixed");

    [Fact]
    public void BclExceptionsKeepTypeMessageAndRemoteStackTrace()
    {
        InvalidOperationException thrown = Thrown<InvalidOperationException>(() => throw new InvalidOperationException("state is wrong"));
        InvalidOperationException copy = Assert.IsType<InvalidOperationException>(Wire.RoundTrip<Exception>(thrown));
        Assert.Equal("state is wrong", copy.Message);
        Assert.Contains(nameof(Thrown), copy.StackTrace);
    }

    [Fact]
    public void ArgumentExceptionsKeepTheirMessage()
    {
        ArgumentException argument = new("bad value", "limit");
        Assert.Equal(argument.Message, Assert.IsType<ArgumentException>(Wire.RoundTrip<Exception>(argument)).Message);

        // ArgumentNullException(string) takes a parameter name, so the (string, Exception) constructor must be chosen.
        ArgumentNullException argumentNull = new("key", "key is required");
        Assert.Equal(argumentNull.Message, Assert.IsType<ArgumentNullException>(Wire.RoundTrip<Exception>(argumentNull)).Message);
    }

    [Fact]
    public void InconsistentStateExceptionKeepsItsEtags()
    {
        InconsistentStateException copy = Assert.IsType<InconsistentStateException>(
            Wire.RoundTrip<Exception>(new InconsistentStateException("stale", "\"3\"", "\"2\"")));
        Assert.Equal("stale", copy.Message);
        Assert.Equal("\"3\"", copy.StoredEtag);
        Assert.Equal("\"2\"", copy.CurrentEtag);
        Assert.Null(Assert.IsType<InconsistentStateException>(Wire.RoundTrip<Exception>(new InconsistentStateException("x"))).StoredEtag);
    }

    [Fact]
    public void InnerExceptionsAreKept()
    {
        Exception outer = new InvalidOperationException("outer", new TimeoutException("inner"));
        Exception copy = Wire.RoundTrip(outer);
        Assert.Equal("inner", Assert.IsType<TimeoutException>(copy.InnerException).Message);
    }

    [Fact]
    public void ExceptionTypesOutsideTheAllowlistBecomeRemoteGrainExceptions()
    {
        RemoteGrainException copy = Assert.IsType<RemoteGrainException>(Wire.RoundTrip<Exception>(new JsonException("bad json")));
        Assert.Equal(typeof(JsonException).FullName, copy.OriginalTypeName);
        Assert.Equal("bad json", copy.Message);
    }

    [Fact]
    public void TypeNamesThatAreNotExceptionsOrNotLoadableNeverCreateObjects()
    {
        foreach (string typeName in new[] { "System.IO.FileInfo", "Evil.Gadget, EvilAssembly", "System.Collections.Generic.List`1[[Evil.Gadget, EvilAssembly]]", "No.Such.Type" })
        {
            byte[] bytes = Wire.Nested(0, writer =>
            {
                Codec<string>.Instance.WriteField(writer, 0, typeName);
                Codec<string>.Instance.WriteField(writer, 1, "message");
            });
            RemoteGrainException copy = Assert.IsType<RemoteGrainException>(Wire.Read<Exception>(bytes));
            Assert.Equal(typeName, copy.OriginalTypeName);
        }
    }

    [Fact]
    public void AnExplicitlyAllowedTypeIsRecreated()
    {
        ExceptionCodec.Allow(typeof(XmlException));
        Assert.IsType<XmlException>(Wire.RoundTrip<Exception>(new XmlException("bad xml")));
        Assert.Throws<ArgumentException>(() => ExceptionCodec.Allow(typeof(string)));
    }

    [Fact]
    public void PulseExceptionTypesAreRecreatedThroughTheirMessageConstructor() =>
        Assert.Equal("only", Assert.IsType<OnlyMessageConstructorException>(Wire.RoundTrip<Exception>(new OnlyMessageConstructorException("only"))).Message);

    [Fact]
    public void AFailingOrMissingConstructorFallsBackToRemoteGrainException()
    {
        byte[] throwing = Wire.Nested(0, writer =>
        {
            Codec<string>.Instance.WriteField(writer, 0, typeof(ThrowingConstructorException).FullName!);
            Codec<string>.Instance.WriteField(writer, 1, "boom");
        });
        Assert.IsType<RemoteGrainException>(Wire.Read<Exception>(throwing));
        Assert.IsType<RemoteGrainException>(Wire.RoundTrip<Exception>(new NoUsableConstructorException()));
    }

    [Fact]
    public void RemoteGrainExceptionsKeepTheOriginalTypeNameAcrossHops()
    {
        RemoteGrainException first = Assert.IsType<RemoteGrainException>(Wire.RoundTrip<Exception>(new JsonException("x")));
        RemoteGrainException second = Assert.IsType<RemoteGrainException>(Wire.RoundTrip<Exception>(first));
        Assert.Equal(typeof(JsonException).FullName, second.OriginalTypeName);
    }

    [Fact]
    public void DerivedExceptionFieldsRoundTripAndRejectIncompatibleTypes()
    {
        Assert.Equal("x", Wire.RoundTrip(new InvalidOperationException("x")).Message);
        Assert.Null(Wire.RoundTrip<TimeoutException?>(null));
        Assert.Throws<PulseSerializationException>(() => Wire.Read<InvalidOperationException>(Wire.Write<Exception>(new JsonException("x"))));
    }

    [Fact]
    public void LongInnerExceptionChainsAreCutSoTheyStayReadable()
    {
        Exception chain = new("level 0");
        for (int i = 1; i < 100; i++)
        {
            chain = new Exception($"level {i}", chain);
        }

        Exception copy = Wire.RoundTrip(chain);
        int depth = 0;
        for (Exception? current = copy.InnerException; current is not null; current = current.InnerException)
        {
            depth++;
        }

        Assert.Equal(ExceptionCodec.MaxInnerExceptionDepth, depth);
    }

    [Fact]
    public void HostileInnerExceptionNestingIsRejected()
    {
        using PulseWriter writer = new();
        List<int> tokens = [];
        writer.WriteTag(0, WireType.LengthPrefixed);
        tokens.Add(writer.BeginLengthPrefixed());
        for (int i = 0; i < 200; i++)
        {
            writer.WriteTag(3, WireType.LengthPrefixed);
            tokens.Add(writer.BeginLengthPrefixed());
        }

        for (int i = tokens.Count - 1; i >= 0; i--)
        {
            writer.EndLengthPrefixed(tokens[i]);
        }

        Assert.Throws<PulseSerializationException>(() => Wire.Read<Exception>(writer.ToArray()));
    }

    private static T Thrown<T>(Action thrower)
        where T : Exception
    {
        try
        {
            thrower();
        }
        catch (T exception)
        {
            return exception;
        }

        throw new InvalidOperationException("expected an exception");
    }
}
