global using System;
global using System.Collections.Generic;
global using System.Diagnostics;
global using System.Threading;
global using System.Threading.Tasks;
