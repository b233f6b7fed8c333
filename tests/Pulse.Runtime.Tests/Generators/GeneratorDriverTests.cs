using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Pulse.Runtime.Tests.Generators;

public sealed class GeneratorDriverTests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using Pulse.Runtime;
        using Pulse.Runtime.Serialization;
        using Pulse.Runtime.Storage;
        namespace Sample;

        """;

    /// <summary>Valid input touching every feature: it must generate code that compiles without a warning.</summary>
    private const string ValidSource = Usings + """
        [GrainType("sample-account")]
        public interface IAccountGrain : IGrainWithStringKey
        {
            Task<decimal> DepositAsync(decimal amount, string? note, CancellationToken cancellationToken = default);
            ValueTask<Money?> GetBalanceAsync();
            Task CloseAsync(IReadOnlyList<string> reasons, params string[] tags);
            ValueTask TouchAsync(int @class);
            [OneWay] Task AuditAsync(Money money);
            [OneWay] ValueTask PingAsync();
            [ReadOnly, AlwaysInterleave, Idempotent] Task<IAccountGrain?> PeerAsync(IAccountGrain? other);
            Task<int> Overload(int value);
            Task<int> Overload(long value);
        }

        public interface IAuditable { Task<string> AuditTrailAsync(); }

        public interface IPremiumAccountGrain : IAccountGrain, IAuditable
        {
            Task UpgradeAsync(Level level, DateTime? until, Guid id);
        }

        public enum Level { Basic, Gold }

        public interface IClock { DateTime Now { get; } }

        [GenerateSerializer]
        public sealed record Money([property: Id(0)] decimal Amount, [Id(1)] string Currency);

        [GenerateSerializer]
        public record struct Range([property: Id(0)] int From, [property: Id(1)] int To);

        [GenerateSerializer]
        public class Entity
        {
            [Id(0)] public string Id { get; init; } = "";
        }

        [GenerateSerializer]
        public sealed class Ledger : Entity
        {
            public Ledger(List<Money> entries) => Entries = entries;
            [Id(1)] public List<Money> Entries { get; }
            [Id(2)] public Range? Window { get; set; }
            [Id(3)] public required string Owner { get; set; }
            [Id(4)] public Level Level;
            [Id(5)] public Dictionary<string, int> Counters { get; set; } = new();
        }

        [GenerateSerializer, Immutable]
        public sealed class Snapshot
        {
            [Id(0)] public byte[] Data { get; set; } = Array.Empty<byte>();
        }

        [GenerateSerializer]
        public abstract class Shape
        {
            [Id(0)] public int Sides { get; set; }
        }

        [GenerateSerializer]
        public enum Color { Red, Green }

        public sealed class AccountGrain : Grain, IPremiumAccountGrain
        {
            public AccountGrain(
                [PersistentState("account", "store")] IPersistentState<Money> state,
                IClock clock,
                IGrainContext context,
                IGrainFactory factory,
                IServiceProvider services,
                IClock? optionalClock,
                string name = "n\"x",
                Level level = Level.Gold,
                double ratio = 0.25,
                int? limit = null,
                char mark = 'q')
            {
            }

            public Task<decimal> DepositAsync(decimal amount, string? note, CancellationToken cancellationToken = default) => Task.FromResult(amount);
            public ValueTask<Money?> GetBalanceAsync() => default;
            public Task CloseAsync(IReadOnlyList<string> reasons, params string[] tags) => Task.CompletedTask;
            public ValueTask TouchAsync(int @class) => default;
            public Task AuditAsync(Money money) => Task.CompletedTask;
            public ValueTask PingAsync() => default;
            public Task<IAccountGrain?> PeerAsync(IAccountGrain? other) => Task.FromResult(other);
            public Task<int> Overload(int value) => Task.FromResult(value);
            public Task<int> Overload(long value) => Task.FromResult((int)value);
            public Task<string> AuditTrailAsync() => Task.FromResult("");
            public Task UpgradeAsync(Level level, DateTime? until, Guid id) => Task.CompletedTask;
        }

        public abstract class AbstractGrain : Grain, IAccountGrain
        {
            public abstract Task<decimal> DepositAsync(decimal amount, string? note, CancellationToken cancellationToken = default);
            public abstract ValueTask<Money?> GetBalanceAsync();
            public abstract Task CloseAsync(IReadOnlyList<string> reasons, params string[] tags);
            public abstract ValueTask TouchAsync(int @class);
            public abstract Task AuditAsync(Money money);
            public abstract ValueTask PingAsync();
            public abstract Task<IAccountGrain?> PeerAsync(IAccountGrain? other);
            public abstract Task<int> Overload(int value);
            public abstract Task<int> Overload(long value);
        }
        """;

    [Fact]
    public void ValidInputGeneratesCodeThatCompilesWithoutWarnings()
    {
        GeneratorDriverHarness.Result result = GeneratorDriverHarness.Run(ValidSource);

        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Empty(result.CompileProblems);
    }

    [Fact]
    public void ValidInputGeneratesOneFilePerTypeAndOneModuleInitializer()
    {
        GeneratorDriverHarness.Result result = GeneratorDriverHarness.Run(ValidSource);

        string[] hints = result.RunResult.Results.Single().GeneratedSources.Select(s => s.HintName).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(
            new[]
            {
                "PulseGrainClass_Sample_AccountGrain.g.cs",
                "PulseInterface_Sample_IAccountGrain.g.cs",
                "PulseInterface_Sample_IPremiumAccountGrain.g.cs",
                "PulseModuleInitializer.g.cs",
                "PulseSerializer_Sample_Entity.g.cs",
                "PulseSerializer_Sample_Ledger.g.cs",
                "PulseSerializer_Sample_Money.g.cs",
                "PulseSerializer_Sample_Range.g.cs",
                "PulseSerializer_Sample_Snapshot.g.cs",
            },
            hints);
        string initializer = result.GeneratedText("PulseModuleInitializer");
        Assert.Contains("[assembly: global::Pulse.Runtime.Invocation.PulseGeneratedCode]", initializer);
        Assert.Contains("namespace Sample.Grains.PulseGenerated", initializer);
        Assert.StartsWith("// <auto-generated/>", initializer);
    }

    [Fact]
    public void MethodIdConstantsAreTheStableHashOfTheSignature()
    {
        GeneratorDriverHarness.Result result = GeneratorDriverHarness.Run(ValidSource);

        string code = result.GeneratedText("PulseInterface_Sample_IAccountGrain");
        Assert.Contains($"0x{StableHash.Compute("DepositAsync(decimal,string)"):X8}u", code);
        Assert.Contains($"0x{StableHash.Compute("CloseAsync(System.Collections.Generic.IReadOnlyList<string>,string[])"):X8}u", code);
        Assert.Contains($"0x{StableHash.Compute("PeerAsync(Sample.IAccountGrain)"):X8}u", code);
    }

    [Fact]
    public void CompilationWithoutPulseTypesGeneratesNothing()
    {
        GeneratorDriverHarness.Result result = GeneratorDriverHarness.Run("namespace Plain; public interface IThing { void Do(); } public class Thing : IThing { public void Do() { } }");

        Assert.Empty(result.RunResult.Results.Single().GeneratedSources);
        Assert.Empty(result.GeneratorDiagnostics);
    }

    [Fact]
    public void EditingAMethodBodyReusesEveryGeneratedOutput()
    {
        CSharpCompilation compilation = GeneratorDriverHarness.CreateCompilation(ValidSource);
        GeneratorDriverHarness.Result first = GeneratorDriverHarness.Run(compilation);
        SyntaxTree tree = compilation.SyntaxTrees.Single();
        SyntaxTree edited = tree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(
            ValidSource.Replace("Task.FromResult(\"\")", "Task.FromResult(\"edited\")", StringComparison.Ordinal)));

        GeneratorDriver driver = first.Driver.RunGenerators(compilation.ReplaceSyntaxTree(tree, edited));

        IEnumerable<IncrementalStepRunReason> reasons = driver.GetRunResult().Results.Single().TrackedOutputSteps
            .SelectMany(step => step.Value)
            .SelectMany(run => run.Outputs)
            .Select(output => output.Reason);
        Assert.All(reasons, reason => Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, reason.ToString()));
    }

    [Theory]
    [InlineData("PULSE001", "public interface IG<T> : IGrainWithStringKey { Task A(); }")]
    [InlineData("PULSE002", "public interface IG : IGrainWithStringKey { int A(); }")]
    [InlineData("PULSE002", "public interface IG : IGrainWithStringKey { IAsyncEnumerable<int> A(); }")]
    [InlineData("PULSE003", "public interface IG : IGrainWithStringKey { [OneWay] Task<int> A(); }")]
    [InlineData("PULSE004", "public interface IG : IGrainWithStringKey { Task A(ref int x); }")]
    [InlineData("PULSE004", "public interface IG : IGrainWithStringKey { Task A(out int x); }")]
    [InlineData("PULSE004", "public interface IG : IGrainWithStringKey { Task A(in int x); }")]
    [InlineData("PULSE005", "public interface IG : IGrainWithStringKey { Task A<T>(T x); }")]
    [InlineData("PULSE006", "public interface IG : IGrainWithStringKey { int Value { get; } }")]
    [InlineData("PULSE006", "public interface IG : IGrainWithStringKey { event EventHandler Changed; }")]
    [InlineData("PULSE007", "public interface IA : IGrainWithStringKey { Task A(int x); } public interface IB : IGrainWithStringKey { Task A(int y); } public interface IC : IA, IB { }")]
    [InlineData("PULSE008", "public interface IG : IGrainWithStringKey { } public sealed class G : Grain, IG { public G() { } public G(int x) { } }")]
    [InlineData("PULSE008", "public interface IG : IGrainWithStringKey { } public sealed class G : Grain, IG { private G() { } }")]
    [InlineData("PULSE009", "[GenerateSerializer] public sealed class Box<T> { [Id(0)] public T? Value { get; set; } }")]
    [InlineData("PULSE010", "public interface IG : IGrainWithStringKey { } public sealed class G<T> : Grain, IG { }")]
    [InlineData("PULSE011", "[GenerateSerializer] public sealed class D { [Id(0)] public int A { get; set; } [Id(0)] public int B { get; set; } }")]
    [InlineData("PULSE011", "[GenerateSerializer] public class B { [Id(0)] public int A { get; set; } } [GenerateSerializer] public sealed class D : B { [Id(0)] public int C { get; set; } }")]
    [InlineData("PULSE012", "[GenerateSerializer] public sealed class D { [Id(0)] private int _a; public int A => _a; }")]
    [InlineData("PULSE012", "[GenerateSerializer] public sealed class D { [Id(0)] protected int A { get; set; } }")]
    [InlineData("PULSE013", "[GenerateSerializer] public sealed class D { [Id(0)] public int A { get; } }")]
    [InlineData("PULSE013", "[GenerateSerializer] public sealed class D { [Id(0)] public readonly int A; }")]
    [InlineData("PULSE014", "public class Outer { private interface IG : IGrainWithStringKey { Task A(); } }")]
    [InlineData("PULSE014", "public class Outer { [GenerateSerializer] private sealed class D { [Id(0)] public int A { get; set; } } }")]
    [InlineData("PULSE015", "[GrainType(\"\")] public interface IG : IGrainWithStringKey { Task A(); }")]
    [InlineData("PULSE016", "[GrainType(\"same\")] public interface IA : IGrainWithStringKey { } [GrainType(\"same\")] public interface IB : IGrainWithStringKey { }")]
    [InlineData("PULSE017", "[GenerateSerializer] public sealed class D { public D(string other) { } [Id(0)] public int A { get; set; } }")]
    public void InvalidInputReportsItsDiagnostic(string id, string source)
    {
        GeneratorDriverHarness.Result result = GeneratorDriverHarness.Run(Usings + source);

        Diagnostic diagnostic = Assert.Single(result.GeneratorDiagnostics, d => d.Id == id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.NotEqual(Location.None, diagnostic.Location);
        Assert.DoesNotContain(result.Output.GetDiagnostics(), d => d.Severity == DiagnosticSeverity.Error && d.Location.SourceTree?.FilePath.EndsWith(".g.cs", StringComparison.Ordinal) == true);
    }
}
