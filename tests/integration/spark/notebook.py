# Run in the jupyter container: a notebook whose cell is a SparkSession on
# the cluster, executed headless with nbclient, as a student's would be.
import nbformat
from nbclient import NotebookClient

nb = nbformat.v4.new_notebook()
nb.cells.append(nbformat.v4.new_code_cell(
    "from pyspark.sql import SparkSession\n"
    "spark = SparkSession.builder.master('spark://spark-master:7077').appName('labctl-notebook').getOrCreate()\n"
    "print('NOTEBOOK sum=%d' % spark.range(0, 100).groupBy().sum('id').first()[0])\n"
    "spark.stop()\n"))
NotebookClient(nb, timeout=300, kernel_name="python3").execute()
print("".join(o.get("text", "") for o in nb.cells[0].outputs if o.get("output_type") == "stream"))
