"""Running notebooks: framework environments, the content-addressed cache, the plan of what
runs, the worker that runs one notebook, and the executors that hand jobs to workers."""
