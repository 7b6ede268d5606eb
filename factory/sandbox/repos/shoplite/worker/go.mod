module example.com/shoplite/worker

go 1.22
