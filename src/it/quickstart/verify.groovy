def check = evaluate(new File(itCommon))
check(basedir, [
    'com.example.quickstart.RedisQuickstartTest': ['setsAndGetsAValue', 'countsWithIncr', 'recordsTheKernelItRunsOn'],
], 1)

// the last invocation ran on JUnit 6: its reports must show the JUnit 6 platform on the test classpath
def report = new File(basedir, 'target/surefire-reports/TEST-com.example.quickstart.RedisQuickstartTest.xml').text
assert report =~ /junit-platform-engine-6\.\d/ : 'the last build did not run on JUnit 6'
println "[verify] quickstart passed on Testcontainers 1.21 and 2.0, and on JUnit 5.14 and 6"
