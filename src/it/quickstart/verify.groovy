def check = evaluate(new File(itCommon))
check(basedir, [
    'com.example.quickstart.RedisQuickstartTest': ['setsAndGetsAValue', 'countsWithIncr', 'recordsTheKernelItRunsOn'],
], 1)
