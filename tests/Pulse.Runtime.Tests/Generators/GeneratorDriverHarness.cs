using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Pulse.Runtime.Generators;

namespace Pulse.Runtime.Tests.Generators;

/// <summary>Runs the Pulse generator over source strings, as the compiler does in a consuming project.</summary>
internal static class GeneratorDriverHarness
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> s_references = new(LoadReferences);

    internal static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    public sealed record Result(Compilation Output, ImmutableArray<Diagnostic> GeneratorDiagnostics, GeneratorDriverRunResult RunResult, GeneratorDriver Driver)
    {
        public IEnumerable<string> GeneratedIds => GeneratorDiagnostics.Select(d => d.Id);

        /// <summary>Errors and warnings of the compilation including the generated code (warnings count: projects build with warnings as errors).</summary>
        public IReadOnlyList<Diagnostic> CompileProblems =>
            Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();

        public string GeneratedText(string hintNameFragment) =>
            RunResult.Results.Single().GeneratedSources.Single(s => s.HintName.Contains(hintNameFragment, StringComparison.Ordinal)).SourceText.ToString();
    }

    public static CSharpCompilation CreateCompilation(params string[] sources) =>
        CSharpCompilation.Create(
            "Sample.Grains",
            sources.Select(s => CSharpSyntaxTree.ParseText(s, ParseOptions)),
            s_references.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static Result Run(params string[] sources) => Run(CreateCompilation(sources));

    public static Result Run(Compilation compilation)
    {
        GeneratorDriver driver = CSharpGeneratorDriver.Create(
            new[] { new PulseGenerator().AsSourceGenerator() },
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
        return new Result(output, diagnostics, driver.GetRunResult(), driver);
    }

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        string trusted = (string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!;
        HashSet<string> paths = new(trusted.Split(Path.PathSeparator), StringComparer.OrdinalIgnoreCase)
        {
            typeof(Grain).Assembly.Location,
        };
        return paths.Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToImmutableArray();
    }
}
